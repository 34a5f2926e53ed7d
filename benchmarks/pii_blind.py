"""Blind PII set (issue 22): the forms the last screen missed, written before its misses were looked at.

Same format as benchmarks/pii_cases.py: (text, [(type, exact substring), ...]); an empty list is a hard negative
(order numbers, SKUs, dates, prices, versions that look like the real thing). Covers ssn and ip in spaced, dotted
and defanged forms, obfuscated e-mails, addresses and person names in lower/upper case and across lines, with a
few of the other types for context. Never tuned on.
"""

E, P, C, IB, SSN, IP, DOB, A, S, N = "email", "phone", "card", "iban", "ssn", "ip", "dob", "address", "secret", "person"

SSN_CASES = [
    ("SSN 536-22-8145 on the tax form", [(SSN, "536-22-8145")]),
    ("social security number 401 58 2290", [(SSN, "401 58 2290")]),
    ("ssn: 318.44.9021", [(SSN, "318.44.9021")]),
    ("My SSN is 627-31-0458, please update it", [(SSN, "627-31-0458")]),
    ("SSN#: 245 - 67 - 1093", [(SSN, "245 - 67 - 1093")]),
    ("soc sec no 509 12 7744 (for the W-9)", [(SSN, "509 12 7744")]),
    ("tax id (SSN) 143.86.2207", [(SSN, "143.86.2207")]),
    ("the ssn they asked for: 7 1 2 - 4 4 - 0 9 8 1", [(SSN, "7 1 2 - 4 4 - 0 9 8 1")]),
    ("SSN 458 09 3316\nDOB 04/11/1979", [(SSN, "458 09 3316"), (DOB, "04/11/1979")]),
    ("Social Security: 331-74-5062.", [(SSN, "331-74-5062")]),
    ("ss# 264 33 8190", [(SSN, "264 33 8190")]),
    ("SSN 602/18/4477 per the HR sheet", [(SSN, "602/18/4477")]),
    ("employee ssn=529_81_3302", [(SSN, "529_81_3302")]),
    ("Please redact SSN 186-45-9273 from the ticket", [(SSN, "186-45-9273")]),
]

IP_CASES = [
    ("blocked 192[.]168[.]1[.]1 after 5 failed logins", [(IP, "192[.]168[.]1[.]1")]),
    ("gateway is 10 . 0 . 0 . 1", [(IP, "10 . 0 . 0 . 1")]),
    ("attacker ip 185(.)220(.)101(.)44", [(IP, "185(.)220(.)101(.)44")]),
    ("callback to hxxp://198[.]51[.]100[.]23/login", [(IP, "198[.]51[.]100[.]23")]),
    ("resolver 8.8.8[.]8", [(IP, "8.8.8[.]8")]),
    ("server at 172{.}16{.}4{.}20", [(IP, "172{.}16{.}4{.}20")]),
    ("connect to 192 dot 168 dot 0 dot 12 on port 22", [(IP, "192 dot 168 dot 0 dot 12")]),
    ("Client IP: 203.0.113.77", [(IP, "203.0.113.77")]),
    ("IOC: 45[.]33[.]32[.]156", [(IP, "45[.]33[.]32[.]156")]),
    ("host 10.20.30.40:8080 refused", [(IP, "10.20.30.40")]),
    ("ipv6 2001:db8:85a3::8a2e:370:7334 seen twice", [(IP, "2001:db8:85a3::8a2e:370:7334")]),
    ("link-local fe80::1ff:fe23:4567:890a", [(IP, "fe80::1ff:fe23:4567:890a")]),
    ("login from 2001[:]db8[:]:1", [(IP, "2001[:]db8[:]:1")]),
    ("source 91 . 198 . 174 . 192 flagged", [(IP, "91 . 198 . 174 . 192")]),
]

EMAIL_CASES = [
    ("write to jane dot doe at example dot com", [(E, "jane dot doe at example dot com")]),
    ("contact: jane(at)example(dot)com", [(E, "jane(at)example(dot)com")]),
    ("mail pete [at] shop-mail [dot] co [dot] uk", [(E, "pete [at] shop-mail [dot] co [dot] uk")]),
    ("reach me: MARK AT EXAMPLE DOT ORG", [(E, "MARK AT EXAMPLE DOT ORG")]),
    ("email anna.schmidt @ web . de", [(E, "anna.schmidt @ web . de")]),
    ("lukas_b{at}gmx{dot}net is my address", [(E, "lukas_b{at}gmx{dot}net")]),
    ("mon mail : marie.l arobase orange point fr", [(E, "marie.l arobase orange point fr")]),
    ("meine Mail: tom punkt berg at posteo punkt de", [(E, "tom punkt berg at posteo punkt de")]),
    ("send to k.jensen<at>mail<dot>dk", [(E, "k.jensen<at>mail<dot>dk")]),
    ("Email: sara (at) uni-graz (dot) ac (dot) at", [(E, "sara (at) uni-graz (dot) ac (dot) at")]),
    ("ping olek_w at onet dot pl please", [(E, "olek_w at onet dot pl")]),
    ("my email is ana@exemplo.pt", [(E, "ana@exemplo.pt")]),
    ("mail me at j.rossi AT libero DOT it", [(E, "j.rossi AT libero DOT it")]),
    ("contact: ben[@]startup[.]io", [(E, "ben[@]startup[.]io")]),
]

ADDRESS_CASES = [
    ("ship to 12 baker street, london nw1 6xe", [(A, "12 baker street, london nw1 6xe")]),
    ("FLAT 3, 45 HIGH STREET, OXFORD OX1 4AP", [(A, "45 HIGH STREET, OXFORD OX1 4AP")]),
    ("Lieferadresse:\nHauptstraße 5\n10115 Berlin", [(A, "Hauptstraße 5\n10115 Berlin")]),
    ("221B Baker Street\nLondon\nNW1 6XE", [(A, "221B Baker Street\nLondon\nNW1 6XE")]),
    ("adresse : 10 rue de la paix, 75002 paris", [(A, "10 rue de la paix, 75002 paris")]),
    ("VIA ROMA 12, 00184 ROMA", [(A, "VIA ROMA 12, 00184 ROMA")]),
    ("ul. Marszałkowska 84/92\n00-514 Warszawa", [(A, "ul. Marszałkowska 84/92\n00-514 Warszawa")]),
    ("kerkstraat 12, 1017 gm amsterdam", [(A, "kerkstraat 12, 1017 gm amsterdam")]),
    ("calle mayor 5, 28013 madrid", [(A, "calle mayor 5, 28013 madrid")]),
    ("STORGATAN 7, 111 22 STOCKHOLM", [(A, "STORGATAN 7, 111 22 STOCKHOLM")]),
    ("1600 pennsylvania ave nw, washington, dc 20500", [(A, "1600 pennsylvania ave nw, washington, dc 20500")]),
    ("deliver to:\n742 Evergreen Terrace\nSpringfield, IL 62704", [(A, "742 Evergreen Terrace\nSpringfield, IL 62704")]),
    ("RUE DU MARCHÉ 14\n1000 BRUXELLES", [(A, "RUE DU MARCHÉ 14\n1000 BRUXELLES")]),
    ("my address is 8 queen's road, brighton bn1 3xe", [(A, "8 queen's road, brighton bn1 3xe")]),
    ("Vodičkova 36, 110 00 Praha 1", [(A, "Vodičkova 36, 110 00 Praha 1")]),
]

PERSON_CASES = [
    ("regards,\njohn smith", [(N, "john smith")]),
    ("NAME: MARIA GARCIA", [(N, "MARIA GARCIA")]),
    ("customer: anna kowalska, order 5512", [(N, "anna kowalska")]),
    ("from: pierre dubois", [(N, "pierre dubois")]),
    ("Kind regards\nJANE DOE", [(N, "JANE DOE")]),
    ("Name: Jan\nNovák", [(N, "Jan\nNovák")]),
    ("signed by mr. thomas müller", [(N, "thomas müller")]),
    ("contact person: SOFIA ROSSI", [(N, "SOFIA ROSSI")]),
    ("Hi, this is emma johansson from the Malmö store", [(N, "emma johansson")]),
    ("Best,\nLukas\nBauer", [(N, "Lukas\nBauer")]),
    ("the parcel is for MRS. HELEN O'CONNOR", [(N, "HELEN O'CONNOR")]),
    ("Ansprechpartner: dr. katrin weber", [(N, "katrin weber")]),
    ("Cordialement,\nJEAN-PAUL MARTIN", [(N, "JEAN-PAUL MARTIN")]),
    ("my name is piotr nowak", [(N, "piotr nowak")]),
    ("Saludos, carmen lópez", [(N, "carmen lópez")]),
    ("recipient: Mehmet Yılmaz", [(N, "Mehmet Yılmaz")]),
]

OTHER_CASES = [
    ("call me on +49 170 1234567", [(P, "+49 170 1234567")]),
    ("tel. 06 12 34 56 78", [(P, "06 12 34 56 78")]),
    ("card 4111 1111 1111 1111 exp 09/28", [(C, "4111 1111 1111 1111")]),
    ("IBAN DE89 3704 0044 0532 0130 00", [(IB, "DE89 3704 0044 0532 0130 00")]),
    ("born on 14 February 1985", [(DOB, "14 February 1985")]),
    ("api key sk-proj-9fQ2xLm7Rt4Vb8Nc1Kd6Hs3Pw0Ya5Ze", [(S, "sk-proj-9fQ2xLm7Rt4Vb8Nc1Kd6Hs3Pw0Ya5Ze")]),
]

HARD_NEGATIVES = [
    ("Order 123-4567-890 shipped yesterday", []),
    ("SKU 512-44-901-BLK is back in stock", []),
    ("order #2024-118734 was split in two parcels", []),
    ("Total: €1.299,00 incl. VAT", []),
    ("price $1,234.56 after discount", []),
    ("delivered on 2024-05-06 at 14:32", []),
    ("invoice date 06.05.2024, due 20.05.2024", []),
    ("firmware 4.12.0.7 fixed the pairing bug", []),
    ("release v2.3.1 is out", []),
    ("tracking 1Z 999 AA1 01 2345 6784", []),
    ("batch 10 . 5 . 2 ready for packing", []),
    ("size chart: 36 / 38 / 40 / 42", []),
    ("model no. 432-11-0987A", []),
    ("EAN 4006381333931", []),
    ("room 12 at the end of high street", []),
    ("We met at the shop, dot on time", []),
    ("look at the photo at the top", []),
    ("Use code SUMMER24 at checkout", []),
    ("Pick-up at Victoria Station, platform 9", []),
    ("GRAND TOTAL DUE NOW", []),
    ("The Paris Collection bag in navy", []),
    ("Best regards, Customer Service Team", []),
    ("Apple Watch band, 45 mm", []),
    ("coordinates 48.8566, 2.3522 for the store", []),
    ("the parcel weighs 2.5 kg and measures 30 x 20 x 10 cm", []),
    ("ticket 8841-22-7719 closed", []),
    ("phone case for iPhone 15 Pro Max", []),
    ("Chapter 3.1.4.2 of the manual", []),
    ("Quantity 3 x 19.99 = 59.97", []),
    ("call between 9 and 17 h, mon to fri", []),
    ("our Berlin store opens at 10", []),
    ("see section 192.168 of the handbook", []),
    ("the dot at the end of the URL is not part of it", []),
    ("Kindle Paperwhite, 16 GB", []),
    ("Sale ends 31/12, up to 50% off", []),
    ("Rechnung Nr. 2024/05/118", []),
    ("ORDER STATUS: SHIPPED, CARRIER DHL", []),
    ("Carton 1 of 3, pallet 07-44-1290", []),
    ("version 10.0.19045.4291 of Windows", []),
    ("Sets of 2, 4 or 6 glasses", []),
]

CASES = SSN_CASES + IP_CASES + EMAIL_CASES + ADDRESS_CASES + PERSON_CASES + OTHER_CASES + HARD_NEGATIVES
