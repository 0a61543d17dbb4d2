-- Basic awareness every year; designated leads every two years.

t.case("a new learner must do basic awareness within four weeks", function()
  local items = t.call("required_training", t.learner({ registered_at = "2025-05-20T10:00:00Z" }))
  t.eq(#items, 1)
  t.eq(items[1].id, "basic-awareness")
  t.eq(items[1].kind, "elearning")
  t.eq(items[1].package, "cairn.basic-awareness")
  t.eq(items[1].due, "2025-06-17")
end)

t.case("a designated safeguarding lead also has the designated lead course", function()
  local items = t.call("required_training", t.learner({ job_role = "Designated Safeguarding Lead" }))
  t.eq(#items, 2)
  t.eq(items[2].id, "designated-lead")
  t.eq(items[2].kind, "course")
  t.eq(items[2].after, "basic-awareness")
end)

t.case("basic awareness expires a year after it was completed", function()
  local e = t.call("expiry", t.record({ completed_at = "2025-02-01T19:30:00Z" }), nil, t.learner())
  t.eq(e.expires, "2026-02-01")
  t.eq(e.expiring_days, 30)
end)

t.case("a completion on 29 February expires on 28 February", function()
  local e = t.call("expiry", t.record({ completed_at = "2024-02-29T12:00:00Z" }), nil, t.learner())
  t.eq(e.expires, "2025-02-28")
end)

t.case("other records do not expire", function()
  t.eq(t.call("expiry", t.record({ item_ref = "something.else" }), nil, t.learner()), nil)
end)

t.case("the designated lead course expires after two years", function()
  local e = t.call("expiry", t.record({ kind = "course", item_ref = "dsl", completed_at = "2025-01-10" }),
    { id = "designated-lead" }, t.learner())
  t.eq(e.expires, "2027-01-10")
end)
