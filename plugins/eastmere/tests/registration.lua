-- Registration is open to organisations on the partnership's register.

local function org(code, name)
  return t.registration({ organisation = { id = 21, name = name or "Test Org", code = code } })
end

t.case("a current member organisation may register learners", function()
  t.eq(t.call("registration_check", org("EM-0412", "Eastmere Sailing Club")), { decision = "allow" })
end)

t.case("an organisation without a code is refused, naming the field", function()
  local d = t.call("registration_check", org(nil, "Quayside Choir"))
  t.eq(d.decision, "deny")
  t.eq(d.field, "organisation_id")
  t.ok(d.reason:find("Quayside Choir does not have an Eastmere partnership code", 1, true), d.reason)
end)

t.case("a code in the wrong format is refused", function()
  local d = t.call("registration_check", org("LR-1234"))
  t.eq(d.decision, "deny")
  t.ok(d.reason:find("not an Eastmere partnership code", 1, true), d.reason)
end)

t.case("a code that is not on the register is refused", function()
  local d = t.call("registration_check", org("EM-9999"))
  t.eq(d.decision, "deny")
  t.ok(d.reason:find("not on the Eastmere Safeguarding Children Partnership's register", 1, true))
end)

t.case("a lapsed membership is refused with the date it ended", function()
  local d = t.call("registration_check", org("EM-0388", "Harbour Youth Theatre"))
  t.eq(d.decision, "deny")
  t.ok(d.reason:find("ended on 31 March 2024", 1, true), d.reason)
end)

t.case("before the membership ended, the same code was accepted", function()
  t.set_today("2024-03-31")
  t.eq(t.call("registration_check", org("EM-0388")).decision, "allow")
end)
