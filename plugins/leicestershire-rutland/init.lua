-- Leicestershire and Rutland: the LSCB's Training, Learning and Development
-- Strategy (from September 2011), section 6.2:
--  b) individual agencies continue to provide training to their own staff
--     for Groups 1 and 2, and specific role-related training to Groups 3-6;
--  c) a "balanced approach" to the multi-agency training of Groups 3-7 (a
--     multi-agency course, reflective practice after a case conference or
--     core group, a conference or seminar, an accredited course...);
--  g) the minimum requirement is training at the appropriate level at
--     three-yearly intervals.

local groups = import("groups")

local BASIC_AWARENESS = "cairn.basic-awareness"
local REFRESH_YEARS = 3

local hooks = {}

local function registered_on(learner)
  return (learner.registered_at or cairn.today()):sub(1, 10)
end

function hooks.required_training(learner)
  local g = groups.of(learner.job_role)
  local start = registered_on(learner)
  local items = {}
  if g <= 2 then
    items[1] = {
      id = "single-agency-" .. g,
      title = "Safeguarding children: Group " .. g .. " training",
      kind = "elearning", package = BASIC_AWARENESS, group = tostring(g),
      due = cairn.date.add(start, { months = 3 }),
      refresher = "at least every three years",
      note = "Your organisation provides Group " .. g .. " training to its own staff; Cairn's " ..
        "basic awareness module is accepted as that training.",
    }
  else
    if g <= 6 then
      items[#items + 1] = {
        id = "role-related-" .. g,
        title = "Role-related safeguarding training (Group " .. g .. ")",
        kind = "course", group = tostring(g),
        due = cairn.date.add(start, { months = 6 }),
        refresher = "at least every three years",
        note = "Provided by your own organisation for your role.",
      }
    end
    items[#items + 1] = {
      id = "multi-agency-" .. g,
      title = "Multi-agency safeguarding training (Group " .. g .. ")",
      kind = "course", group = tostring(g),
      due = cairn.date.add(start, { years = 1 }),
      refresher = "at least every three years",
      note = "A balanced approach: a multi-agency course, reflective practice after a case " ..
        "conference or core group, a local or national conference, or an accredited course.",
    }
  end
  return items
end

-- Every record at the appropriate level lasts three years (6.2 g).
function hooks.expiry(record)
  return { expires = cairn.date.add(record.completed_at:sub(1, 10), { years = REFRESH_YEARS }),
           rule = "At least every three years", expiring_days = 90 }
end

-- Demo data: 0116 496 0000-0999 is Ofcom's Leicester range for drama; the
-- addresses are at example.org.
function hooks.local_contacts(borough)
  return {
    contacts = {
      { role = "Worried about a child? Children's social care (Leicestershire)",
        name = "Children's duty and advice line (demo)", phone = "0116 496 0100",
        email = "childrens.duty@leics.example.org", hours = "Monday to Friday, 8.30am to 5pm" },
      { role = "Worried about a child? Children's social care (Rutland)",
        name = "Rutland children's duty team (demo)", phone = "0116 496 0200",
        email = "childrens.duty@rutland.example.org" },
      { role = "Out of hours", name = "Emergency Duty Team (demo)", phone = "0116 496 0999" },
      { role = "Concerns about an adult who works with children",
        name = "Local Authority Designated Officer (LADO) (demo)", phone = "0116 496 0150",
        email = "lado@leics.example.org" },
      { role = "A child in immediate danger", name = "Police", phone = "999",
        note = "Call 999 in an emergency; 101 when it is not an emergency." },
    },
    certificate_wording = "Training at the appropriate level, recognised under the Leicestershire " ..
      "and Rutland Safeguarding Children Board training strategy; to be renewed at least every " ..
      "three years.",
  }
end

function hooks.report_columns(learner)
  local g = groups.of(learner.job_role)
  return {
    { key = "training_group", label = "Training group", value = g },
    { key = "who_trains", label = "Who trains",
      value = g <= 2 and "Own organisation" or "Own organisation and multi-agency" },
  }
end

return hooks
