-- Eastmere (a fictional borough): the rules of its safeguarding children
-- partnership, as a Cairn plugin. docs/PLUGIN_API.md walks through this file.
--
--  * Registration: only organisations on the partnership's register, with a
--    current membership, may sign learners up (their partnership code).
--  * Everyone completes "Introduction to safeguarding: basic awareness"
--    within four weeks of registering, and renews it every year.
--  * Designated safeguarding leads (and deputies) also attend the designated
--    lead course, renewed at least every two years (as Keeping Children Safe
--    in Education asks of schools' designated leads).

local register = import("register")

local BASIC_AWARENESS = "cairn.basic-awareness"   -- the module's manifest identifier
local CODE_PATTERN = "^EM%-%d%d%d%d$"

local hooks = {}

-- registration_check(registration) -> nil | cairn.allow() | cairn.deny(reason, field)
function hooks.registration_check(reg)
  local org = reg.organisation or {}
  local name = org.name or "Your organisation"
  local code = org.code
  if code == nil or code == "" then
    return cairn.deny(name .. " does not have an Eastmere partnership code yet. Ask your " ..
      "organisation's safeguarding lead to register it with the partnership, then sign up again.",
      "organisation_id")
  end
  if not code:match(CODE_PATTERN) then
    return cairn.deny(name .. "'s code (" .. code .. ") is not an Eastmere partnership code.",
      "organisation_id")
  end
  local member = register[code]
  if member == nil then
    return cairn.deny(name .. " (" .. code .. ") is not on the Eastmere Safeguarding Children " ..
      "Partnership's register. Ask your organisation's safeguarding lead to contact the partnership.",
      "organisation_id")
  end
  if member.ended and cairn.date.compare(member.ended, cairn.today()) < 0 then
    return cairn.deny(name .. "'s membership of the Eastmere Safeguarding Children Partnership " ..
      "ended on " .. cairn.date.format(member.ended) .. ". Ask your organisation's safeguarding " ..
      "lead to renew it, then sign up again.", "organisation_id")
  end
  return cairn.allow()
end

local function is_designated_lead(job_role)
  local r = (job_role or ""):lower()
  return r:find("designated", 1, true) ~= nil or r:find("safeguarding lead", 1, true) ~= nil
end

local function registered_on(learner)
  return (learner.registered_at or cairn.today()):sub(1, 10)
end

-- required_training(learner) -> list of items
function hooks.required_training(learner)
  local items = {
    {
      id = "basic-awareness",
      title = "Introduction to safeguarding: basic awareness",
      kind = "elearning",
      package = BASIC_AWARENESS,
      due = cairn.date.add(registered_on(learner), { weeks = 4 }),
      refresher = "every year",
      note = "Eastmere asks everyone who works or volunteers with children to renew this every year.",
    },
  }
  if is_designated_lead(learner.job_role) then
    items[#items + 1] = {
      id = "designated-lead",
      title = "Designated safeguarding lead: role and responsibilities",
      kind = "course",
      due = cairn.date.add(registered_on(learner), { months = 6 }),
      refresher = "at least every two years",
      after = "basic-awareness",
      note = "A face-to-face course run by the partnership.",
    }
  end
  return items
end

-- expiry(record, item, learner) -> nil | date | {expires = date, rule = text}
function hooks.expiry(record, item)
  local done = record.completed_at:sub(1, 10)
  if record.item_ref == BASIC_AWARENESS then
    return { expires = cairn.date.add(done, { years = 1 }), rule = "Renew every year",
             expiring_days = 30 }
  end
  if item and item.id == "designated-lead" then
    return { expires = cairn.date.add(done, { years = 2 }), rule = "Renew at least every two years" }
  end
  return nil
end

-- local_contacts(borough) -> {contacts = {...}, certificate_wording = text}
-- Demo data: the numbers are in Ofcom's range for drama (01632 960000-960999)
-- and the addresses at example.org; none of them reaches a real service.
function hooks.local_contacts(borough)
  return {
    contacts = {
      { role = "Worried about a child? Children's social care front door",
        name = "Eastmere Children's Advice and Support Hub", phone = "01632 960 100",
        email = "childrens.hub@eastmere.example.org", hours = "Monday to Friday, 9am to 5pm" },
      { role = "Out of hours", name = "Eastmere Emergency Duty Team", phone = "01632 960 199",
        hours = "Evenings, weekends and bank holidays" },
      { role = "Concerns about an adult who works with children",
        name = "Local Authority Designated Officer (LADO)", phone = "01632 960 150",
        email = "lado@eastmere.example.org" },
      { role = "A child in immediate danger", name = "Police", phone = "999",
        note = "Call 999 in an emergency; 101 when it is not an emergency." },
    },
    certificate_wording = "This learner completed safeguarding training recognised by the " ..
      "Eastmere Safeguarding Children Partnership, which asks for it to be renewed every year.",
  }
end

-- report_columns(learner) -> extra columns on officers' reports
function hooks.report_columns(learner)
  local org = learner.organisation or {}
  return {
    { key = "partnership_code", label = "Partnership code", value = org.code or "" },
    { key = "designated_lead", label = "Designated lead", value = is_designated_lead(learner.job_role) },
  }
end

-- charge(event, learner) -> nil | {amount_pence = pence, note = text}
-- A place left empty costs the partnership a trainer's time: it charges the
-- learner's organisation £25 for a no-show and £15 for a cancellation less
-- than 48 hours before the start. A cancellation the session counts as late
-- but made 48 hours or more ahead is not charged (nil).
local NO_SHOW_PENCE, LATE_PENCE, LATE_HOURS = 2500, 1500, 48

function hooks.charge(event, learner)
  if event.reason == "no_show" then
    return { amount_pence = NO_SHOW_PENCE,
             note = "Eastmere charges £25 for a place left empty without notice." }
  end
  if event.reason == "late_cancellation" then
    -- notice_hours is absent when an officer marked the late cancellation
    if event.notice_hours ~= nil and event.notice_hours >= LATE_HOURS then
      return nil
    end
    return { amount_pence = LATE_PENCE,
             note = "Eastmere charges £15 for a cancellation less than 48 hours before the start." }
  end
  return nil
end

-- on_completion(event, learner): observe only. Counts completions per member
-- organisation and year, for the partnership's annual report.
function hooks.on_completion(event, learner)
  local code = (learner.organisation or {}).code or "none"
  local key = "completions:" .. code .. ":" .. cairn.today():sub(1, 4)
  cairn.storage.set(key, (cairn.storage.get(key) or 0) + 1)
end

return hooks
