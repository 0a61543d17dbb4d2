-- The Eastmere Safeguarding Children Partnership's register of member
-- organisations, by partnership code. An organisation's code is set when it
-- joins (organisations.code in Cairn); "ended" is the last day of a lapsed
-- membership. The names are fictional.
return {
  ["EM-0107"] = { name = "Eastmere Family Centre" },
  ["EM-0233"] = { name = "Northgate Childminding Network" },
  ["EM-0412"] = { name = "Eastmere Sailing Club" },
  ["EM-0388"] = { name = "Harbour Youth Theatre", ended = "2024-03-31" },
}
