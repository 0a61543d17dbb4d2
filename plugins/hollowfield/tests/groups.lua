-- Roles to Groups A, B and C, and the sample two-year pathways.

local function required(job_role, over)
  local l = t.learner(over or {})
  l.job_role = job_role
  local items, err = t.call("required_training", l)
  t.ok(items, err)
  return items
end

local function ids(items)
  local out = {}
  for _, it in ipairs(items) do out[#out + 1] = it.id end
  return out
end

t.case("a childminder is Group A with the one-day introductory course", function()
  local items = required("Childminder")
  t.eq(ids(items), { "basic-awareness", "shared-responsibility-a" })
  t.eq(items[2].group, "A")
  t.eq(items[2].hours, 6)
  t.ok(items[2].note:find("CORE courses for Group A", 1, true), items[2].note)
end)

t.case("basic awareness comes first and is due three months after registering", function()
  local items = required("Volunteer", { registered_at = "2025-01-06T09:30:00Z" })
  t.eq(items[1].kind, "elearning")
  t.eq(items[1].package, "cairn.basic-awareness")
  t.eq(items[1].due, "2025-04-06")
  for i = 2, #items do t.eq(items[i].after, "basic-awareness") end
end)

t.case("a sports instructor follows the framework's pathway over two years", function()
  local items = required("Sports Instructor", { registered_at = "2025-01-06T09:30:00Z" })
  t.eq(#items, 2 + 6)
  t.eq(items[3].title, "Information sharing and making referrals")
  t.eq(items[8].title, "Safeguarding children with disabilities")
  for i = 2, #items do t.eq(items[i].due, "2027-01-06") end
end)

t.case("every role the framework names gets its pathway and group", function()
  local expect = {
    ["Learning Support Assistant"] = { "A", 5 }, ["Sports Instructor"] = { "A", 6 },
    ["Radiologist"] = { "A", 6 }, ["Educational Psychologist"] = { "B", 6 },
    ["General Practitioner"] = { "B", 8 }, ["Community Safety Officer"] = { "B", 7 },
    ["Children's Social Worker"] = { "C", 6 },
    ["Manager of Children's Residential Home"] = { "C", 5 },
    ["Community Paediatrician"] = { "C", 6 },
  }
  for role, want in pairs(expect) do
    local items = required(role)
    t.eq(items[2].group, want[1], role)
    t.eq(#items - 2, want[2], role .. " pathway length")
  end
end)

t.case("Group B and C introductory courses are two days", function()
  t.eq(required("Health visitor")[2].hours, 12)
  t.eq(required("Health visitor")[2].group, "B")
  t.eq(required("Child protection police officer")[2].group, "C")
end)

t.case("levels are read from the course titles", function()
  local items = required("Children's social worker")
  t.eq(items[3].title, "Communicating with children about concerns - Level 2")
  t.eq(items[3].level, 2)
  t.eq(items[4].level, 2)
  t.eq(items[5].level, nil)
end)

t.case("report columns give the group and pathway", function()
  local l = t.learner({ job_role = "GP" })
  t.eq(t.call("report_columns", l), {
    { key = "group", label = "Competence Matters group", value = "B" },
    { key = "pathway", label = "Sample pathway", value = "General Practitioner" },
  })
end)
