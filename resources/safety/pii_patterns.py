"""Candidate patterns for each PII type, and the context words that confirm or veto a candidate.

Patterns are deliberately wide (any case, any separators); resources/safety/pii.py keeps a candidate only when
its validator (resources/safety/validators.py) and its context agree.
"""

import re

TLDS = ("com|net|org|edu|gov|mil|int|io|co|uk|de|fr|es|it|nl|be|ch|at|eu|info|biz|us|ca|au|me|app|dev|ai|pl|se|dk|"
        "no|fi|pt|ie|cz|jp|cn|in|br|mx|ru|nz|za|tv|cc|ly|xyz|online|shop|store|tech|site|club|ac|gr|hu|ro|sk|si|lu|lt|"
        "lv|ee|hr|bg|tr|il|kr|sg|hk|tw|ar|cl")
_LB = r"[\[\(\{<]\s*"
_RB = r"\s*[\]\)\}>]"
EMAIL = re.compile(r"(?<![\w.+'-])[A-Za-z0-9][\w.%+'-]*@(?:[A-Za-z0-9-]+\.)+([A-Za-z]{2,24})(?![\w-])")
EMAIL_SPACED_AT = re.compile(r"(?<![\w.+-])[A-Za-z0-9][\w.+-]*\s+@\s+(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])|"
                             rf"(?<![\w.+-])[A-Za-z0-9][\w.+-]*\s?@\s?(?:[A-Za-z0-9-]+\s?\.\s?)+(?:{TLDS})\b")
EMAIL_BRACKETED = re.compile(
    rf"(?<![\w.+-])[A-Za-z0-9][\w.+-]*\s*{_LB}(?:at|@){_RB}\s*[A-Za-z0-9-]+(?:(?:\s*{_LB}(?:dot|\.){_RB}\s*|\.)"
    r"[A-Za-z0-9-]+)*(?:\s*" + _LB + r"(?:dot|\.)" + _RB + r"\s*|\.)[A-Za-z]{2,24}(?![\w-])", re.I)
# "at" and "dot" as spelled out in the languages a European shop sees ("marie arobase orange point fr").
_AT_WORD = r"at|arobase|arroba|chiocciola|ät|malpa|małpa|zavinac|zavináč|snabel-a"
_DOT_WORD = r"dot|punkt|point|punto|ponto|kropka|tecka|tečka|piste|prik"
AT_WORD_HINTS = (" at", "arobase", "arroba", "chiocciola", "ät", "malpa", "małpa", "zavin", "snabel")  # cheap pre-check
EMAIL_WORDS = re.compile(
    rf"(?<![\w.+-])(?P<local>[A-Za-z0-9][\w.+-]*(?:\s+(?:{_DOT_WORD})\s+[\w+-]+)*)\s+(?P<at>{_AT_WORD})\s+"
    rf"[A-Za-z0-9-]+(?:(?:\s+(?:{_DOT_WORD})\s+|\.)[A-Za-z0-9-]+)*(?:\s+(?P<dot>{_DOT_WORD})\s+|\.)(?:{TLDS})\b",
    re.I)
EMAIL_CONTEXT = re.compile(r"(?i)\b(?:e-?mail|mail|contact|write|reach|correo|courriel|kontakt|adresse|address)\b")
FILE_TLDS = {"png", "jpg", "jpeg", "gif", "svg", "webp", "css", "js", "ico", "pdf", "txt", "py"}

PHONE = re.compile(
    r"(?<![\w+/.,-])(?:(?:\+|\b00|\b011)\s?\(?\d{1,4}\)?|\(\d{1,5}\)|\d{1,5})(?:[ .\-/]{0,3}\(?\d{1,5}\)?){0,6}"
    r"(?![\w]|[.,\-/]\d)")
PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:phone|tel|telephone|call|calls|ring|mobile|cell|whatsapp|fax|reach|text|sms|handy|telefon|rufnummer|"
    r"t[ée]l[ée]phone|t[ée]l|portable|m[óo]vil|tel[ée]fono|cellulare|numer|bel|mobiel|chiamami|(?:my|our|your|his|"
    r"her) number|number is)\b(?:\W{1,3}(?:me|us|him|her|at|on|under|back|is|al|op|numbers?|no|nr))*\W{0,12}$")
NOT_PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:order|invoice|ref|reference|sku|tracking|track|account|acct|iban|card|isbn|ean|gtin|upc|serial|sn|"
    r"case|ticket|version|v|build|batch|lot|part|model|item|article|epoch|timestamp|id|ups|dhl|fedex|usps|parcel|"
    r"shipment|transaction|txn|po|bestellung|rechnung|commande|facture|pedido|factura|ordine|fattura|barcode|"
    r"zip|postcode|code|price|qty|quantity|room)(?:-?\d{1,2})?\b\W{0,3}(?:(?:no|nr|number|num|#|id)\b\W{0,3})?$")
# A letters-and-digits token right before the digits ("1Z 999 AA1 01 2345 6784"): the tail of an id, not a phone.
ID_TOKEN_BEFORE = re.compile(r"(?:[A-Za-z]\d|\d[A-Za-z])\w*\s$")
DATE_SHAPE = re.compile(r"^(?:(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)?\d{2})(?!\d)")
IBAN_HEAD_BEFORE = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ .\-]?[A-Za-z0-9]{4})*[ .\-]?$")
NOT_PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:order|invoice|ref|reference|sku|tracking|track|account|acct|iban|card|isbn|ean|gtin|upc|serial|sn|"
    r"case|ticket|version|v|build|batch|lot|part|model|item|article|epoch|timestamp|id|ups|dhl|fedex|usps|parcel|"
    r"shipment|transaction|txn|po|bestellung|rechnung|commande|facture|pedido|factura|ordine|fattura|barcode|"
    r"zip|postcode|code|price|qty|quantity|room|pallet|carton|box|size|sizes|chart)\b\W{0,3}(?:(?:no|nr|number|num|#|id)\b\W{0,3})?$")

CARD = re.compile(r"(?<![\w+.,-])\d(?:[ .\-]{0,3}\d){12,18}(?![\d]|[.\-]\d)")
IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ .\-]?[A-Za-z0-9]){10,30}")

SSN = re.compile(r"(?<![\w-])(\d{3})( ?[-./_] ?| )(\d{2})\2(\d{4})(?![\d]|-\w)")
SSN_SPACED_DIGITS = re.compile(r"(\d(?<![\w-]\d)(?: \d){2})\s*[-.]?\s*(\d \d)\s*[-.]?\s*(\d(?: \d){3})(?![\w])")
SSN_BARE = re.compile(r"(?<![\w-])(\d{3})(\d{2})(\d{4})(?![\w-])")
SSN_CONTEXT = re.compile(
    r"(?i)\b(?:ssn|ss ?#|ss(?: no\.?| number| num)|soc\.? ?sec\.?(?: no\.?| number| #)?|social security(?: number| no\.?)?|"
    r"taxpayer(?: id)?|tin)(?!\w)[^\n]{0,24}$")

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = re.compile(rf"(?<![\w.:])(?:{_OCTET}\.){{3}}{_OCTET}(?![\w]|\.\d)")
# Defanged IPv4 as threat reports and tickets write it: "192[.]168[.]1[.]1", "10 . 0 . 0 . 1", "8.8.8[.]8".
_DEFANGED_DOT = r"(?:\s?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})\s?|\s+(?:dot|\.)\s+|\.)"
IPV4_DEFANGED = re.compile(rf"(?<![\w.:\[({{])(?:{_OCTET}{_DEFANGED_DOT}){{3}}{_OCTET}(?![\w]|\.\d|\[\.)", re.I)
DEFANG_HINT = re.compile(r"\d\s?(?:[\[({]|\s\.\s|\s+(?:dot|DOT)\s)|\[:\]")  # what any defanged form contains
IPV6_DEFANGED = re.compile(r"(?<![\w:.\]])(?:[0-9A-Fa-f]{0,4}(?:\[:\]|:)){2,7}[0-9A-Fa-f]{0,4}(?![\w:\[])")
IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
IP_CONTEXT = re.compile(r"(?i)(?:\b(?:ip|ipv4|ipv6|host|server|from|address|addr|client|peer|proxy|gateway|dns|"
                        r"ping|ssh|connect\w*|login|logged in|remote|src|dst|source|destination)\b\W{0,6}|@|://)$")
NOT_IP_CONTEXT = re.compile(
    r"(?i)\b(?:version|ver|v|firmware|release|build|section|chapter|clause|article|oid|step|rule|fig|figure|"
    r"table|page|§)\W{0,3}$")

_MONTHS = (r"(?:jan(?:uary|uar|vier)?|feb(?:ruary|ruar)?|f[ée]vrier|mar(?:ch)?|m[äa]rz|mars|apr(?:il)?|avril|"
           r"may|mai|jun(?:e|i)?|juin|jul(?:y|i)?|juillet|aug(?:ust)?|ao[ûu]t|sep(?:t(?:ember)?)?|septembre|"
           r"oct(?:ober)?|okt(?:ober)?|octobre|nov(?:ember)?|novembre|dec(?:ember)?|dez(?:ember)?|d[ée]cembre|"
           r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
           r"gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre)")
_YEAR = r"(?P<year>(?:19|20)\d{2})"
DATE = (rf"(?:\d{{1,2}}[./-]\d{{1,2}}[./-]{_YEAR}|(?P<iso>(?:19|20)\d{{2}})[-/.]\d{{1,2}}[-/.]\d{{1,2}}(?![\dT:])|"
        r"\d{1,2}[./-]\d{1,2}[./-](?P<short>\d{2})(?![\d./-])|"
        rf"\d{{1,2}}(?:st|nd|rd|th|er)?\.?\s+(?:of\s+|de\s+)?{_MONTHS}\.?,?\s+(?:de\s+)?(?P<tyear>(?:19|20)\d{{2}})|"
        rf"{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?P<myear>(?:19|20)\d{{2}}))")
DOB = re.compile(
    r"(?i)(?:\bd\.?\s?o\.?\s?b\.?|\bdate of birth|\bbirth ?date|\bbirthday|\bborn(?: on)?|\bgeb\.?-?datum|"
    r"\bgeb(?:oren)?\.?(?: am)?|"
    r"\bgeburtsdatum|\bgeburtstag|\bn[ée]e?\s+le|\bdate de naissance|\bfecha de nacimiento|\bfecha (?:de )?nac\.|"
    r"\bnacid[oa]\s+el|"
    r"\bdata di nascita|\bnat[oa]\s+il|\bdata de nascimento|\bnascid[oa] em|\bgeboortedatum|\bgeboren op)"
    rf"\s*[:\-]?\s*(?P<date>{DATE})(?![\dT:])")

SUFFIX_STRONG = ("street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|terrace|parkway|pkwy|"
                 "crescent|esplanade")
SUFFIX_WEAK = ("way|place|pl|close|square|sq|circle|cir|trail|row|gardens|grove|mews|hill|loop|alley|plaza|pike|"
               "highway|hwy")
_UNIT = r"(?:,?\s+(?:apt|apartment|suite|ste|unit|flat|floor|#)\.?\s*[\w-]+)?"
_DIRECTION = r"(?:n|s|e|w|ne|nw|se|sw|north|south|east|west)"
STREET = re.compile(
    rf"(?i)(?<![\w.,])(?P<num>\d{{1,5}}[a-z]?)(?:-\d{{1,5}})?,?\s+(?:{_DIRECTION}\.?\s+)?(?P<name>(?:[^\W\d_][\w'’.-]*"
    rf"\s+|\d+(?:st|nd|rd|th)\s+){{1,3}}?)(?P<suffix>{SUFFIX_STRONG}|{SUFFIX_WEAK})\b\.?(?:\s+{_DIRECTION}\b\.?)?"
    rf"{_UNIT}(?P<city>,\s*[^\W\d_][\w'’-]+(?:[\s-][^\W\d_][\w'’-]+){{0,2}})?(?P<region>,?\s+(?:[a-z]{{2}}\s+\d{{5}}"
    r"(?:-\d{4})?|\d{5}(?:-\d{4})?|[a-z]{1,2}\d[a-z\d]?\s?\d[a-z]{2}))?(?![\w])")
_EU_CITY = r"(?P<city>,?\s+\d{4,5}\s+[^\W\d_][\w'’-]+(?:[\s-][^\W\d_][\w'’-]+)?)?"
# "Unter den Linden 77, 10117 Berlin": no street word, but number, postcode and city in the European order.
EU_POSTAL = re.compile(
    r"(?<![\w,.])(?:(?:ul|al|os|pl)\.\s+)?(?P<name>[A-ZÀ-Þ][\w'’.-]+(?:[ \t]+[\w'’.-]+){0,3}?)[ \t]+"
    r"\d{1,4}[a-zA-Z]?(?:/\d{1,4})?(?:,[ \t]*|[ \t]*\n[ \t]*)(?P<postcode>\d{5}|\d{4}|\d{3} \d{2}|\d{2}-\d{3})[ \t]+"
    r"[A-ZÀ-Þ][\w'’-]+(?:[ \t-][A-ZÀ-Þ][\w'’-]+)?(?:[ \t]\d{1,2}\b)?")
EU_STREET = re.compile(
    r"(?i)\b(?P<name>[^\W\d_]{3,}(?P<suffix>straße|strasse|str\.|gasse|platz|allee|weg|ring|damm|ufer|chaussee|"
    rf"laan|gracht|straat|plein|kade|steeg))\s+\d{{1,4}}\s?[a-z]?\b{_EU_CITY}")
_ROMANCE_LEAD = (r"rue|avenue|av\.|boulevard|bd|place|chemin|all[ée]e|quai|impasse|cours|calle|c/|avenida|avda\.|plaza|"
                 r"paseo|carrer|via|viale|piazza|corso|largo|vicolo|rua|travessa|pra[çc]a")
_FRENCH_LEAD = r"rue|avenue|av\.|boulevard|bd|place|chemin|all[ée]e|quai|impasse|cours"
_PARTICLES = r"(?:(?:de la|della|delle|del|dei|des|dos|das|de|di|do|da|du|la|le)\b\s*|l'|d')*"
ROMANCE_NUMBER_FIRST = re.compile(  # "12 rue de la Paix": the French order; Italian and Spanish put the name first
    rf"(?i)(?<![\w./-])\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+(?P<lead>{_FRENCH_LEAD})\s+{_PARTICLES}(?P<name>[^\W\d_][\w'’-]*"
    rf"(?:\s[^\W\d_][\w'’-]*){{0,2}}){_EU_CITY}")
ROMANCE_NAME_FIRST = re.compile(
    rf"(?i)\b(?P<lead>{_ROMANCE_LEAD})\s+{_PARTICLES}(?P<name>[^\W\d_][\w'’-]*(?:\s[^\W\d_][\w'’-]*){{0,2}}),?\s+"
    rf"\d{{1,4}}[a-z]?\b{_EU_CITY}")
PO_BOX = re.compile(
    r"(?i)\bp\.?\s?o\.?\s*box\s+\d+(?:,\s*[^\W\d_][\w'’-]+(?:\s[^\W\d_][\w'’-]+){0,2})?(?:,?\s+(?:[a-z]{2}\s+)?"
    r"\d{5}(?:-\d{4})?)?")
ADDRESS_CONTEXT = re.compile(
    r"(?i)\b(?:ship(?:ping)? to|deliver(?:y)? to|send (?:it )?to|return to|lives? at|located at|address|billing|"
    r"shipping|adresse|lieferadresse|lieferung an|livraison|direcci[óo]n|indirizzo|morada)\b\W{0,12}$")
# Words that make "<number> <words> road" ordinary prose: "3 miles down the road", "10 Best Road Trips".
NOT_STREET_WORDS = frozenset(
    "the a an of to down up along on in at my your our his her their its this that these those and or for with from "
    "by into onto over under per each every some any all more less than very just only same other different miles "
    "mile km kilometres kilometers metres meters minutes mins hours hour hrs days weeks months years times items "
    "pieces pcs units percent blocks flights steps lanes ways turns right left best top great greatest worst "
    "favourite favorite essential classic scenic epic ultimate famous amazing simple easy quick".split())
RANK_BEFORE = re.compile(r"(?i)\b(?:top|chapter|page|room|floor|level|step|day|week|part|section|route|highway|"
                         r"pitch|sleeps|size|model|version|no|number)\W{0,2}$")

SECRETS = [
    re.compile(r"\bsk-(?:proj-|ant-|live-)?[A-Za-z0-9_-]{20,}"),
    re.compile(r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9\-._~+/]{12,}=*"),
    re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}"),
    re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    re.compile(r"\b(?:hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{36}|glpat-[\w-]{20,}|SG\.[\w-]{16,}\.[\w-]{16,})"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"),
    re.compile(r"(?i)\b[a-z][a-z0-9+.-]{1,20}://(?P<value>[^\s:/@]{0,64}:[^\s@/]{1,128})@"),
    re.compile(r"(?i)\b(?:password|passwort|passcode|mot de passe|contrase[ñn]a|pwd)\s+(?:is|ist|est|es|was)\s+"
               r"[\"']?(?P<value>(?=\S*[\d!#$%&*?@])\S{6,}?)[\"']?(?=[\s.,;]*$|[\s,;])"),
    re.compile(r"(?i)(?:api[_-]?key|secret(?:[_-]?key)?|access[_-]?key|token|passw(?:or)?d|pwd)\"?\s*[:=]\s*"
               r"[\"']?(?P<value>[^\s\"',;]{8,})"),
    GENERIC_SECRET := re.compile(r"(?<![\w/+=-])(?P<value>[A-Za-z0-9_+/-]{24,}={0,2})(?![\w/+=-])"),
]
