-- No-shows and late cancellations: what Eastmere charges.

local function event(reason, notice_hours)
  return { reason = reason, notice_hours = notice_hours,
    session = { id = 501, title = "Safeguarding children: a shared responsibility", group = "A",
                starts_at = "2025-07-01T09:30:00Z", host_borough = "eastmere" } }
end

t.case("a no-show is charged £25", function()
  local c = t.call("charge", event("no_show"), t.learner())
  t.eq(c.amount_pence, 2500)
  t.ok(c.note:find("£25", 1, true), c.note)
end)

t.case("a cancellation 20 hours before the start is charged £15", function()
  local c = t.call("charge", event("late_cancellation", 20), t.learner())
  t.eq(c.amount_pence, 1500)
  t.ok(c.note:find("48 hours", 1, true), c.note)
end)

t.case("47 hours is still late; 48 hours is not charged", function()
  t.eq(t.call("charge", event("late_cancellation", 47), t.learner()).amount_pence, 1500)
  t.eq(t.call("charge", event("late_cancellation", 48), t.learner()), nil)
  t.eq(t.call("charge", event("late_cancellation", 72), t.learner()), nil)
end)

t.case("a late cancellation marked by an officer (no notice given) is charged £15", function()
  t.eq(t.call("charge", event("late_cancellation"), t.learner()).amount_pence, 1500)
end)

t.case("an unknown reason is not charged", function()
  t.eq(t.call("charge", event("something_else"), t.learner()), nil)
end)
