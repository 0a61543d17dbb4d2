-- Basic awareness before any Group course; adjoining levels; expiry.

local with_ba = t.learner({ records = { t.record() } })
local without_ba = t.learner({ records = {} })

t.case("a Group course needs basic awareness first", function()
  local d = t.call("booking_eligibility", without_ba, t.session({ group = "A" }))
  t.eq(d.decision, "deny")
  t.ok(d.reason:find("basic awareness", 1, true), d.reason)
end)

t.case("a failed basic awareness attempt does not count", function()
  local l = t.learner({ records = { t.record({ status = "failed" }) } })
  t.eq(t.call("booking_eligibility", l, t.session()).decision, "deny")
end)

t.case("with basic awareness, a course of the learner's group is allowed", function()
  t.eq(t.call("booking_eligibility", with_ba, t.session({ group = "A" })), { decision = "allow" })
end)

t.case("an adjoining group is allowed; two groups up needs approval", function()
  t.eq(t.call("booking_eligibility", with_ba, t.session({ group = "B" })).decision, "allow")
  local d = t.call("booking_eligibility", with_ba, t.session({ group = "C" }))
  t.eq(d.decision, "needs_approval")
  t.ok(d.reason:find("adjoining", 1, true))
end)

t.case("places held for another borough's own staff are not offered", function()
  local s = t.session({ host_borough = "eastmere", places = 20, booked = 17, reserved_for_host = 3 })
  t.eq(t.call("booking_eligibility", with_ba, s).decision, "deny")
  s.booked = 10
  t.eq(t.call("booking_eligibility", with_ba, s).decision, "allow")
end)

t.case("basic awareness is refreshed every three years", function()
  local e = t.call("expiry", t.record({ completed_at = "2025-02-01T19:30:00Z" }), nil, with_ba)
  t.eq(e, { expires = "2028-02-01", rule = "Refresh every three years", expiring_days = 90 })
end)

t.case("contacts are in the drama range", function()
  local c = t.call("local_contacts", t.borough_info())
  for _, contact in ipairs(c.contacts) do
    local digits = contact.phone:gsub("%s", "")
    t.ok(digits == "999" or digits:match("^0207946%d%d%d%d$"), contact.phone)
  end
end)
