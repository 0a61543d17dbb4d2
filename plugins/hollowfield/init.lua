-- Hollowfield (a fictional London borough) follows Competence Matters.
-- See framework.lua for what the framework says and how roles map to groups.

local framework = import("framework")

local BASIC_AWARENESS = "cairn.basic-awareness"
local GROUP_ORDER = { A = 1, B = 2, C = 3 }

local hooks = {}

local function registered_on(learner)
  return (learner.registered_at or cairn.today()):sub(1, 10)
end

local function has_basic_awareness(learner)
  for _, r in ipairs(learner.records or {}) do
    if r.item_ref == BASIC_AWARENESS and r.status ~= "failed" then return true end
  end
  return false
end

function hooks.required_training(learner)
  local pathway, group = framework.place(learner.job_role)
  local start = registered_on(learner)
  local two_years = cairn.date.add(start, { years = 2 })
  local items = {
    {
      id = "basic-awareness",
      title = "Introduction to safeguarding: basic awareness",
      kind = "elearning", package = BASIC_AWARENESS, hours = 3,
      due = cairn.date.add(start, { months = 3 }),
      refresher = "every three years",
      note = "Competence Matters: every programme is underpinned by basic awareness training.",
    },
    {
      id = "shared-responsibility-" .. group:lower(),
      title = "Safeguarding children: a shared responsibility (Group " .. group .. ")",
      kind = "course", group = group, hours = framework.INTRO_HOURS[group],
      due = two_years, after = "basic-awareness", category = "introductory",
      note = framework.INTRO_LENGTH[group] .. " introductory course for Group " .. group .. "." ..
        (pathway and "" or " Then the CORE courses for Group " .. group ..
         " that you and your manager agree."),
    },
  }
  if pathway then
    for _, title in ipairs(pathway.courses) do
      items[#items + 1] = {
        id = framework.slug(title), title = title, kind = "course", group = group,
        level = framework.level(title), due = two_years, after = "basic-awareness",
        category = "pathway",
        note = "Sample pathway for a " .. pathway.role .. " (Competence Matters), over two years.",
      }
    end
  end
  return items
end

-- Hollowfield's local rule: basic awareness is refreshed every three years.
-- (Competence Matters leaves refresher intervals to each borough.)
function hooks.expiry(record)
  if record.item_ref == BASIC_AWARENESS then
    return { expires = cairn.date.add(record.completed_at:sub(1, 10), { years = 3 }),
             rule = "Refresh every three years", expiring_days = 90 }
  end
  return nil
end

-- booking_eligibility(learner, session) -> allow | deny(reason) | needs_approval(reason)
function hooks.booking_eligibility(learner, session)
  if session.group and not has_basic_awareness(learner) then
    return cairn.deny("Complete \"Introduction to safeguarding: basic awareness\" before you book " ..
      "a Group course: in Competence Matters every course builds on it.")
  end
  local _, group = framework.place(learner.job_role)
  local want = GROUP_ORDER[session.group or ""]
  if want and math.abs(want - GROUP_ORDER[group]) > 1 then
    return cairn.needs_approval("This is a Group " .. session.group .. " course and your role is " ..
      "in Group " .. group .. ": courses at adjoining levels are open to you, others need your " ..
      "training officer's agreement.")
  end
  local home = learner.borough and learner.borough.slug
  local held = session.reserved_for_host or 0
  if session.host_borough and session.host_borough ~= home and held > 0 and
     (session.places or 0) - (session.booked or 0) <= held then
    return cairn.deny("The remaining places on this session are held for staff of the borough " ..
      "that runs it. Ask your training officer about another date.")
  end
  return cairn.allow()
end

-- Demo data: 020 7946 0000-0999 is Ofcom's London range for drama, and
-- example.org addresses reach no one.
function hooks.local_contacts(borough)
  return {
    contacts = {
      { role = "Worried about a child? Children's social care front door",
        name = "Hollowfield Multi-Agency Safeguarding Hub (MASH)", phone = "020 7946 0300",
        email = "mash@hollowfield.example.org", hours = "Monday to Friday, 9am to 5pm" },
      { role = "Out of hours", name = "Hollowfield Emergency Duty Team", phone = "020 7946 0399",
        hours = "Evenings, weekends and bank holidays" },
      { role = "Concerns about an adult who works with children",
        name = "Local Authority Designated Officer (LADO)", phone = "020 7946 0350",
        email = "lado@hollowfield.example.org" },
      { role = "A child in immediate danger", name = "Police", phone = "999",
        note = "Call 999 in an emergency; 101 when it is not an emergency." },
      { role = "Training", name = "Hollowfield Safeguarding Children Partnership training team",
        phone = "020 7946 0360", email = "training@hollowfield.example.org" },
    },
    certificate_wording = "Hollowfield Safeguarding Children Partnership recognises this training " ..
      "under Competence Matters, the London multi-agency safeguarding children training framework.",
  }
end

function hooks.report_columns(learner)
  local pathway, group = framework.place(learner.job_role)
  return {
    { key = "group", label = "Competence Matters group", value = group },
    { key = "pathway", label = "Sample pathway", value = pathway and pathway.role or "" },
  }
end

return hooks
