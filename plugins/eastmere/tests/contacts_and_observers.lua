-- Local contacts, report columns and the completion counter.

t.case("contacts use fictional numbers only", function()
  local c = t.call("local_contacts", t.borough_info())
  t.ok(#c.contacts >= 3, "at least three contacts")
  for _, contact in ipairs(c.contacts) do
    local digits = (contact.phone or ""):gsub("%s", "")
    t.ok(digits == "999" or digits:match("^01632960%d%d%d$"),
      "not a drama-range number: " .. tostring(contact.phone))
    if contact.email then t.ok(contact.email:match("example%.org$"), contact.email) end
  end
  t.ok(c.certificate_wording:find("Eastmere", 1, true))
end)

t.case("report columns show the partnership code", function()
  local cols = t.call("report_columns", t.learner({ organisation = { id = 1, name = "X", code = "EM-0107" } }))
  t.eq(cols[1], { key = "partnership_code", label = "Partnership code", value = "EM-0107" })
  t.eq(cols[2].value, false)
end)

t.case("completions are counted per organisation and year", function()
  local learner = t.learner({ organisation = { id = 1, name = "X", code = "EM-0233" } })
  t.call("on_completion", t.event(), learner)
  t.call("on_completion", t.event(), learner)
  t.eq(cairn.storage.get("completions:EM-0233:2025"), 2)
  t.eq(cairn.storage.keys("completions:"), { "completions:EM-0233:2025" })
end)
