"""Person names, best effort: names after a title, an introduction or a sign-off, and common first names followed
by a surname. No model is loaded; a name with no such cue ("Lee said yes") is missed.
"""

import re

FIRST_NAMES = frozenset("""
aaron adam adrian ahmed aisha alan albert alejandro alex alexander alexandra alice alicia amanda amelia amy ana
andrea andreas andrew angela anna anne anthony antoine antonio ashley barbara ben benjamin bernd brian camille
carlos carmen caroline catherine charlotte chen chloe chris christian christina christine claire claudia daniel
daniela dana david deborah diana diego dmitri elena elizabeth emily emma eric erik eva fatima felix fernando
francesca francesco franz frank gabriel george giorgio giulia giuseppe grace hannah hans hassan helen henry hugo
ian isabel isabella ivan jack jacob james jan jane jason javier jennifer jessica joao johann johannes john jonas
jorge jose joseph juan julia julian julie karen karl katarina katharina kevin klaus laura lea lena leon linda lisa
louis lucas lucia luca luis luisa lukas maria mariana marie mark marco markus martin mary matteo matthew max
maximilian mehmet mia michael michelle miguel mohamed mohammed nadia natalia nicolas nicole niklas nina noah olga
oliver olivia omar pablo patricia paul paula pedro peter petra philipp pierre priya rachel rafael raj rebecca
richard robert roberto rosa ryan samuel sandra sara sarah sebastian sergio simon sofia sophia sophie stefan
stefano stephanie steven susan thomas tim tobias tom valentina victoria vincent wei william yuki yusuf zoe
""".split())
NOT_NAMES = frozenset("""
team support customer customers service services sales store shop admin manager company inc ltd gmbh llc the
thanks thank hi hello dear regards best kind sincerely cheers monday tuesday wednesday thursday friday saturday
sunday january february march april may june july august september october november december order refund return
returns product products delivery shipping warehouse office department it hr finance billing account ai assistant
bot yes no ok okay happy sorry disappointed new york london paris berlin madrid rome press pro max plus mini
road street lane avenue drive way place close square court terrace hill grove gardens park station airport
""".split())
# Capitalised words that follow a first name without being a surname ("Grace Coffee", "Max Power").
NOT_SURNAMES = NOT_NAMES | frozenset("coffee tea power mode edition series kettle grinder lamp".split())
_WORD = r"(?:Ma?c|[A-Z]['’])?[A-ZÀ-Þ][a-zß-ÿ]+(?:-[A-ZÀ-Þ][a-zß-ÿ]+)?\b"
NAME = rf"(?:{_WORD}|[A-Z]\.)(?:[ \t]+(?:{_WORD}|[A-Z]\.?(?![\w]))){{0,2}}"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Hr|Mme|Mlle|Sr|Sra|Srta|Sig|Sig\.ra|Dott)\.?"
TITLED = re.compile(rf"\b{_TITLE}(?:\s+{_TITLE})*\s+(?P<name>{NAME})")
CUED = re.compile(
    r"(?:(?i:my name is|name\s*:|customer\s*:?|customer name\s*:|yours (?:truly|sincerely|faithfully),?|"
    r"best wishes,|all the best,|atentamente,?|cordiali saluti,?|bien [àa] vous,?|client\s*:|kunde\s*:|kundin\s*:|"
    r"mein name ist|"
    r"ich hei(?:ß|ss)e|je m'appelle|mon nom est|me llamo|mi nombre es|mi chiamo|il mio nome [èe]|signed|"
    r"regards,|sincerely,|thanks,|thank you,|cheers,|best,|gr[üu](?:ß|ss)e,|cordialement,|saludos,|un saluto,|"
    r"c/o|from:|attn:?|contact person:|kundin|kunde)\s*[\"']?)"
    rf"(?P<name>{NAME})")
GAZETTEER_CUED = re.compile(
    rf"(?i:\b(?:i am|i'm|this is|ich bin|je suis|soy|sono|dear|hi|hello|hallo|bonjour|hola|ciao)\s+)(?P<name>{NAME})")
FIRST_LAST = re.compile(rf"(?<![\w.])(?=(?P<name>{_WORD}[ \t]+{_WORD}))")  # a lookahead: matches may overlap
# A known first name alone, inside a sentence (not its first word) and not an ordinary word: "reach Paul at".
LONE_FIRST = re.compile(rf"(?<=[a-z,] )(?P<name>{_WORD})(?![ \t]*[A-ZÀ-Þ])")
AMBIGUOUS_FIRST = frozenset("mark grace max frank jack will may rose eva lea nina paula sofia victoria".split())


# Names in any case and across a line break after a strong cue: "regards,\njohn smith", "NAME: MARIA GARCIA",
# "signed by mr. thomas müller", "Best,\nLukas\nBauer". Two words, neither an ordinary one.
_ANY_WORD = r"[^\W\d_]+(?:['’-][^\W\d_]+)*"
_ANY_TITLE = r"(?:mrs?|ms|miss|dr|prof|herr|frau|mme|sr|sra)\.?\s+"
# Cues are matched on the lower-cased text (a case-insensitive alternation is several times slower on the hot path).
ANY_CASE_CUE = re.compile(
    r"\b(?:(?:kind |best |warm )?regards|best|thanks|cordialement|saludos|cordiali saluti|viele gr[üu](?:ß|ss)e|"
    r"mit freundlichen gr[üu](?:ß|ss)en|name|customer|client|kunde|kundin|from|contact person|recipient|"
    r"ansprechpartner(?:in)?|empf[äa]nger|destinataire|destinatario|my name is|signed by|for|this is|i am|i'm)\b")
NAME_AFTER_CUE = re.compile(
    rf"[ \t]*[,:]?\s*(?P<title>(?i:{_ANY_TITLE}))?(?P<name>{_ANY_WORD}(?:[ \t]+|[ \t]*\n[ \t]*){_ANY_WORD})")
_WEAK_CUES = frozenset(("for", "this is", "i am", "i'm", "best", "thanks"))
# Field labels are cues only as labels ("from: anna weber", "customer,\nanna weber"); in running text they are
# ordinary words ("beans from small farms", "customer reviews praise it").
_LABEL_CUES = frozenset(("name", "customer", "client", "kunde", "kundin", "from", "recipient", "destinataire",
                         "destinatario", "empfänger", "empfanger"))
ORDINARY = NOT_NAMES | frozenset("""
a an and or of to in on at is are was be my your our his her their this that with by please order parcel package
item items it we you he she they me us as so not but if all any one two the for from has have had will would can
""".split())


def _any_case_names(text: str) -> list[tuple[int, int]]:
    """Names in any case and across a line break after a cue: "regards,\njohn smith", "NAME: MARIA GARCIA",
    "signed by mr. thomas müller", "Best,\nLukas\nBauer". Two words, neither an ordinary one; after a weak cue
    ("for", "this is") only a title or a known first name makes it a name."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    spans = []
    for cue in ANY_CASE_CUE.finditer(low):
        m = NAME_AFTER_CUE.match(text, cue.end())
        if not m:
            continue
        first, last = m.group("name").split()
        if first.lower() in ORDINARY or last.lower() in ORDINARY:
            continue
        cue_word = cue.group(0)
        weak = cue_word in _WEAK_CUES or (
            cue_word in _LABEL_CUES and not any(c in text[cue.end():m.start("name")] for c in ":,\n"))
        if weak and not m.group("title") and first.lower() not in FIRST_NAMES:
            continue  # "this is blue velvet", "for DHL pickup"
        spans.append(m.span("name"))
    return spans


def _words(m: re.Match) -> list[re.Match]:
    """The name's words, trailing non-name words ("Thanks, Anna Team") dropped; none if it starts with one."""
    words = list(re.finditer(r"\S+", m.group("name")))
    while words and words[-1].group(0).lower().strip(".") in NOT_NAMES:
        words.pop()
    return [] if not words or words[0].group(0).lower() in NOT_NAMES else words


def find_names(text: str) -> list[tuple[int, int]]:
    """Spans of person names in `text`."""
    spans = []
    finders = ((TITLED, False), (CUED, False), (GAZETTEER_CUED, True), (FIRST_LAST, True), (LONE_FIRST, True))
    for pattern, need_first_name in finders:
        for m in pattern.finditer(text):
            words = _words(m)
            if not words or (need_first_name and words[0].group(0).lower() not in FIRST_NAMES):
                continue
            if pattern is LONE_FIRST and words[0].group(0).lower() in AMBIGUOUS_FIRST:
                continue
            if pattern is FIRST_LAST and (len(words) < 2 or words[-1].group(0).lower() in NOT_SURNAMES):
                continue
            spans.append((m.start("name"), m.start("name") + words[-1].end()))
    return spans + _any_case_names(text)
