-- Competence Matters: A Multi-Agency Safeguarding Children Training
-- Framework for London (London Safeguarding Children Board). What this
-- plugin takes from it:
--
--  * Groups. A: contact with children and parents/carers, a responsibility to
--    contribute to safeguarding, no organisational duty to intervene.
--    B: work regularly with children and parents/carers, considerable
--    professional and organisational responsibility; must act on concerns.
--    C: particular responsibility, professional or organisational authority
--    and autonomy to act; often responsible for the work of others.
--  * "All the programmes must be underpinned by basic awareness training"
--    ("Introduction to safeguarding - basic awareness", minimum 3 hours).
--  * The introductory course "Safeguarding children - a shared
--    responsibility": Group A 1 day (6 hours), Groups B and C 2 days
--    (12 hours).
--  * The sample training pathways (pages 52-53): "suggested that the
--    pathways are completed over a two-year period", followed by the relevant
--    CORE and SPECIALIST courses.
--  * "At each level there is the freedom to access courses at adjoining
--    levels": a course two groups away needs someone to agree it.

local M = {}

M.INTRO_HOURS = { A = 6, B = 12, C = 12 }
M.INTRO_LENGTH = { A = "1 day", B = "2 days", C = "2 days" }

-- The sample pathways, by the roles the framework names. Each list is the
-- framework's, in its order; the match patterns recognise the role in the
-- job role a learner typed when registering (lower case).
M.PATHWAYS = {
  { role = "Learning Support Assistant", group = "A",
    match = { "learning support assistant", "teaching assistant" },
    courses = {
      "Identifying vulnerability and promoting resilience",
      "Communicating with children about concerns",
      "Introduction to physical, emotional and sexual abuse, and neglect",
      "Safe working practices",
      "Good practice in equality and diversity across London - Level 1",
    } },
  { role = "Sports Instructor", group = "A",
    match = { "sports instructor", "sports coach", "swimming instructor", "coach" },
    courses = {
      "Information sharing and making referrals",
      "Safe working practices",
      "Basic awareness workshop - bullying",
      "Recording and record keeping",
      "Identifying vulnerability and promoting resilience",
      "Safeguarding children with disabilities",
    } },
  { role = "Radiologist", group = "A",
    match = { "radiologist", "radiographer" },
    courses = {
      "Understanding dangerous dynamics in working relationships",
      "Basic awareness workshop - fabricated or induced illness",
      "Information sharing and making referrals",
      "Domestic violence - Level 1",
      "Focus on physical abuse",
      "Communicating with children about concerns - Level 1",
    } },
  { role = "Educational Psychologist", group = "B",
    match = { "educational psychologist" },
    courses = {
      "Communicating with children about concerns - Level 2",
      "Good practice in equality and diversity across London - Level 2",
      "The impact of parental mental health - Level 2",
      "Effective intervention where bullying occurs",
      "The impact of parental learning disability",
      "Domestic violence - Level 1",
    } },
  { role = "General Practitioner", group = "B",
    match = { "general practitioner", "^gp$", "^gp ", " gp$" },
    courses = {
      "Managing issues of consent, confidentiality and information sharing",
      "Working with parents and families who are difficult to engage",
      "Domestic violence - Level 1",
      "Domestic violence - Level 2",
      "Good practice in equality and diversity across London - Level 2",
      "Fabricated or induced illness",
      "Working effectively with mobile families",
      "Child protection conferences and core groups",
    } },
  { role = "Community Safety Officer (Police Crisis Intervention Team)", group = "B",
    match = { "community safety officer", "crisis intervention" },
    courses = {
      "Making a good referral",
      "Working with parents and families who are difficult to engage",
      "Domestic violence - Level 2",
      "Children and young people involved in sexual exploitation",
      "Joint investigation training and ABE",
      "Child protection conferences and core groups",
      "Risk assessment",
    } },
  { role = "Children's Social Worker", group = "C",
    match = { "children's social worker", "childrens social worker", "child and family social worker",
              "^social worker" },
    courses = {
      "Communicating with children about concerns - Level 2",
      "Court skills - Level 2",
      "Overcoming dangerous dynamics in professional practice",
      "Joint investigation training and ABE",
      "Skills in complex analysis and risk assessment",
      "Assessment and treatment of young people who sexually abuse",
    } },
  { role = "Manager of Children's Residential Home", group = "C",
    match = { "residential home manager", "manager of children's residential", "residential manager",
              "children's home manager" },
    courses = {
      "Communicating with children about concerns - Level 2",
      "Managing issues of consent, confidentiality and information sharing",
      "Young people who go missing",
      "Self harm",
      "Chairing core groups and other safeguarding meetings",
    } },
  { role = "Community Paediatrician", group = "C",
    match = { "paediatrician", "pediatrician" },
    courses = {
      "Fabricated and induced illness",
      "Overcoming dangerous dynamics in professional practice",
      "Court skills - Level 2",
      "Complex skills in analysis and risk assessment",
      "Contributing to serious case reviews",
      "Safeguarding children with disabilities - Level 2",
    } },
}

-- Roles the framework does not give a pathway for: the group from the
-- framework's definitions (first match wins; anything else is Group A,
-- where volunteers, childminders, faith and community groups belong).
M.GROUP_RULES = {
  { group = "C", match = { "social worker", "child protection", "cait", "designated doctor",
                           "designated nurse", "named doctor", "named nurse", "head of children",
                           "service manager", "conference chair", "independent reviewing" } },
  { group = "B", match = { "teacher", "head teacher", "headteacher", "health visitor", "school nurse",
                           "midwife", "nurse", "doctor", "youth worker", "family support",
                           "family centre", "nursery manager", "designated safeguarding",
                           "police", "probation", "housing officer", "camhs", "psychologist",
                           "foster carer", "residential" } },
}

function M.slug(title)
  return (title:lower():gsub("[^%w]+", "-"):gsub("^%-+", ""):gsub("%-+$", ""))
end

-- A pattern starting with ^ or ending with $ is a Lua pattern (for short
-- words such as "gp"); anything else is plain text to look for. Worked out
-- once, when the plugin loads.
local function compile(patterns)
  local out = {}
  for i, p in ipairs(patterns) do
    out[i] = { text = p, plain = not (p:find("^%^") or p:find("%$$")) }
  end
  return out
end
for _, pathway in ipairs(M.PATHWAYS) do pathway.match = compile(pathway.match) end
for _, rule in ipairs(M.GROUP_RULES) do rule.match = compile(rule.match) end

local function matches(role, patterns)
  for _, p in ipairs(patterns) do
    if role:find(p.text, 1, p.plain) then return true end
  end
  return false
end

-- The learner's pathway (or nil) and group.
function M.place(job_role)
  local role = (job_role or ""):lower():gsub("%s+", " ")
  for _, pathway in ipairs(M.PATHWAYS) do
    if matches(role, pathway.match) then return pathway, pathway.group end
  end
  for _, rule in ipairs(M.GROUP_RULES) do
    if matches(role, rule.match) then return nil, rule.group end
  end
  return nil, "A"
end

function M.level(title)
  local n = title:match("Level (%d)$")
  return n and tonumber(n) or nil
end

return M
