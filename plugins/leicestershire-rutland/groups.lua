-- The training groups the Leicestershire and Rutland strategy uses are those
-- of Working Together to Safeguard Children 2010 (chapter 4), which the
-- strategy is based on. Which group a job role belongs to is each agency's
-- training needs analysis; this table is Cairn's first guess from the job
-- role a learner typed, checked in order (first match wins), and the
-- learner's training officer can correct it.
local M = {}

M.NAMES = {
  [1] = "Group 1: in occasional contact with children and young people",
  [2] = "Group 2: working regularly with children, young people or parents",
  [3] = "Group 3: working predominantly with children and families, contributing to assessments",
  [4] = "Group 4: specialist child protection roles",
  [5] = "Group 5: professional advisers, named and designated professionals",
  [6] = "Group 6: operational managers",
  [7] = "Group 7: senior managers responsible for strategic management",
}

M.RULES = {
  { 7, { "director", "chief executive", "trustee", "board member", "senior manager",
         "head of service", "assistant director" } },
  { 6, { "manager", "head teacher", "headteacher", "team leader", "supervisor",
         "deputy head" } },
  { 5, { "named nurse", "named doctor", "named midwife", "designated nurse",
         "designated doctor", "safeguarding adviser", "safeguarding advisor" } },
  { 4, { "social worker", "child protection", "paediatrician", "public protection" } },
  { 3, { "health visitor", "school nurse", "family support", "general practitioner",
         "police", "designated safeguarding lead", "safeguarding lead", "midwife",
         "youth offending", "camhs", "early help" } },
  { 2, { "teacher", "teaching assistant", "childminder", "child minder", "nursery", "coach",
         "youth worker", "leader", "scout", "guide", "playworker", "play worker", "sport",
         "faith", "foster", "tutor", "instructor", "nurse", "doctor", "carer" } },
  { 1, { "librarian", "library", "receptionist", "driver", "caretaker", "cleaner",
         "administrator", "admin", "catering", "steward", "volunteer" } },
}

-- Unknown roles count as Group 2: people who sign up for safeguarding
-- training usually work with children regularly, and too much training is
-- the safer mistake.
function M.of(job_role)
  local role = " " .. (job_role or ""):lower() .. " "
  for _, rule in ipairs(M.RULES) do
    for _, word in ipairs(rule[2]) do
      if role:find(word, 1, true) then return rule[1] end
    end
  end
  if role:find("%Wgp%W") then return 3 end
  return 2
end

return M
