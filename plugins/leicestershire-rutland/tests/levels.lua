-- Groups 1-2 are trained by their own organisation; Groups 3-7 also
-- multi-agency; every level at least every three years.

local function required(job_role, over)
  local l = t.learner(over or {})
  l.job_role = job_role
  local items, err = t.call("required_training", l)
  t.ok(items, err)
  return items
end

t.case("a volunteer coach is Group 2, trained by their own organisation", function()
  local items = required("Volunteer coach", { registered_at = "2025-01-06T09:30:00Z" })
  t.eq(#items, 1)
  t.eq(items[1].group, "2")
  t.eq(items[1].kind, "elearning")
  t.eq(items[1].package, "cairn.basic-awareness")
  t.eq(items[1].due, "2025-04-06")
  t.ok(items[1].note:find("Your organisation provides Group 2 training", 1, true))
end)

t.case("a library volunteer is Group 1", function()
  t.eq(required("Library volunteer")[1].group, "1")
end)

t.case("unknown roles are Group 2", function()
  t.eq(required("Something else entirely")[1].group, "2")
end)

t.case("a health visitor is Group 3: role-related and multi-agency training", function()
  local items = required("Health visitor", { registered_at = "2025-01-06T09:30:00Z" })
  t.eq(#items, 2)
  t.eq(items[1].id, "role-related-3")
  t.eq(items[2].id, "multi-agency-3")
  t.eq(items[2].due, "2026-01-06")
  t.ok(items[2].note:find("balanced approach", 1, true))
end)

t.case("a social worker is Group 4, a nursery manager Group 6, a director Group 7", function()
  t.eq(required("Child and family social worker")[1].group, "4")
  t.eq(required("Nursery manager")[1].group, "6")
  local director = required("Director of Children's Services")
  t.eq(#director, 1, "Group 7 has multi-agency training only")
  t.eq(director[1].id, "multi-agency-7")
end)

t.case("a GP is Group 3", function()
  t.eq(required("GP")[1].group, "3")
end)

t.case("every record lasts three years", function()
  local e = t.call("expiry", t.record({ completed_at = "2022-09-01T10:00:00Z" }), nil, t.learner())
  t.eq(e, { expires = "2025-09-01", rule = "At least every three years", expiring_days = 90 })
end)

t.case("report columns", function()
  local cols = t.call("report_columns", t.learner({ job_role = "Health visitor" }))
  t.eq(cols[1].value, 3)
  t.eq(cols[2].value, "Own organisation and multi-agency")
end)

t.case("contacts are in the drama range", function()
  local c = t.call("local_contacts", t.borough_info())
  for _, contact in ipairs(c.contacts) do
    local digits = contact.phone:gsub("%s", "")
    t.ok(digits == "999" or digits:match("^01164960%d%d%d$"), contact.phone)
  end
end)
