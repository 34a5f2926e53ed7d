"""What instruction-like text says, in English, German, French, Spanish, Italian, Portuguese, Dutch and Polish.

Patterns run on folded text (resources/safety/normalize.py: lower case, no accents, lookalikes folded), so the
words below are written that way. Each pattern needs two signals (a verb that dismisses and a noun that names
the model's instructions, a verb that reveals and "your system prompt", ...): a customer who writes "please
ignore my previous email" or "the instructions in the box were unclear" gives only one.
"""

import re


def _any(*words: str) -> str:
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")"


DISMISS = _any(
    "ignore", "ignoring", "disregard", "forget", "override", "bypass", "skip", "discard", "neglect", "set aside",
    "pay no attention to", "do not follow", "don't follow", "stop following", "no longer follow", "throw out",
    "ignoriere", "ignorier", "ignorieren sie", "vergiss", "vergessen sie", "missachte", "missachten sie",
    "verwirf", "ueberschreibe", "uberschreibe", "ignorez", "ignorer", "oublie", "oubliez", "oublier",
    "ne tiens pas compte", "ne tenez pas compte", "fais abstraction", "faites abstraction", "ignora", "ignorar",
    "olvida", "olvidate", "olvide", "olvidar", "omite", "descarta", "haz caso omiso", "no sigas",
    "deja de seguir", "dimentica", "dimenticate", "tralascia", "trascura", "non seguire", "non seguire piu",
    "lascia perdere", "esqueca", "esquece", "desconsidere", "descarte", "negeer", "vergeet", "deja de lado",
    "dejad de lado", "no hagas caso", "ne suivez plus", "ne suivez pas", "ne respectez plus", "non rispettare",
    "volg niet", "zignoruj", "ignoruj", "zapomnij")
QUALIFIER = _any(
    "all", "any", "every", "previous", "prior", "above", "earlier", "preceding", "foregoing", "former",
    "original", "initial", "system", "your", "these", "those", "existing", "current", "old", "alle", "alles",
    "samtliche", "vorherigen", "vorherige", "bisherigen", "bisherige", "obigen", "obige", "vorangegangenen",
    "fruheren", "fruhere", "deine", "ihre", "ursprunglichen", "alten", "toutes", "tous", "les", "precedentes",
    "precedents", "anterieures", "ci-dessus", "tes", "vos", "initiales", "originales", "todas", "todos", "las",
    "anteriores", "previas", "previos", "tus", "sus", "iniciales", "tutte", "tutti", "le", "precedenti", "sopra",
    "tue", "iniziali", "originali", "ricevute", "as", "suas", "tuas", "iniciais", "vorige", "eerdere",
    "bovenstaande", "je", "jouw", "oorspronkelijke", "qualsiasi", "ogni", "cualquier", "cada", "jede", "jegliche",
    "toute", "chaque", "qualquer", "elke", "wszystkie", "poprzednie", "wczesniejsze")
TARGET = _any(
    "instructions", "instruction", "prompts", "prompt", "rules", "directions", "directives", "directive",
    "guidelines", "guidance", "guardrails", "system message", "constraints", "policies", "programming", "commands",
    "rubric", "checks", "restrictions", "anweisungen", "anweisung", "instruktionen", "regeln", "vorgaben",
    "befehle", "richtlinien", "einschrankungen", "systemprompt", "consignes", "regles", "ordres", "indications",
    "instrucciones", "reglas", "indicaciones", "directrices", "ordenes", "normas", "restricciones", "istruzioni",
    "regole", "indicazioni", "direttive", "restrizioni", "linee guida", "instrucoes", "regras", "diretrizes",
    "orientacoes", "instructies", "regels", "richtlijnen", "opdrachten", "istruzione", "instruccion", "regla",
    "regola", "consigne", "directriz", "instrucao", "instructie", "regel", "richtlijn", "instrukcje", "polecenia",
    "zasady")
AFTER = _any("above", "before", "so far", "ci-dessus", "precedentes", "anterieures", "anteriores", "previas",
             "precedenti", "sopra", "di prima", "ricevute prima", "prima", "oben", "davor", "anteriores")
STRONG_TARGET = _any("rubric", "guardrails", "system prompt", "system message", "your programming", "your training",
                     "content policy", "safety guidelines", "safety filters", "safety rules", "your guidelines")
# Nouns that make "previous instructions" the customer's own: "disregard my previous delivery instructions".
BENIGN_GAP = re.compile(r"\b(?:my|our|mine|meine[nmrs]?|unsere[nmrs]?|mes|mon|ma|nos|notre|mis|mi|nuestras?|"
                        r"mie|mio|nostre|minhas?|meus?|mijn|onze|delivery|shipping|washing|care|assembly|"
                        r"cooking|descaling|installation|return|packing|courier|lieferung|livraison|entrega|"
                        r"consegna|montage|montaje|montaggio)\b")

REVEAL = _any(
    "reveal", "print", "show", "repeat", "output", "leak", "tell me", "display", "disclose", "dump", "recite",
    "spell out", "write out", "give me", "list", "zeige", "zeig", "verrate", "nenne", "wiederhole", "gib",
    "schreibe", "revele", "revelez", "affiche", "affichez", "montre", "montrez", "donne", "donnez", "repete",
    "repetez", "dis-moi", "dites-moi", "revela", "muestra", "muestrame", "dime", "ensename", "repite", "dame",
    "escribe", "rivela", "mostra", "mostrami", "dimmi", "ripeti", "stampa", "dammi", "scrivi", "mostre",
    "revele", "diga", "toon", "laat zien", "herhaal", "paste", "copy", "share", "send me", "quote", "type out",
    "summarize", "summarise", "paraphrase", "translate",
    "fasse zusammen", "resume", "resumeme", "riassumi")
YOUR = (r"(?:your|deine[nm]?|ihre[nm]?|dein|ton|tes|votre|vos|tu|tus|su|sus|il tuo|le tue|tuo|tue|seu|suas|seus|"
         r"je|jouw)")
SECRET_ADJ = (r"(?:hidden|secret|initial|original|system|full|exact|entire|complete|internal|underlying|first|real|"
               r"ursprunglichen|geheimen|initiales|originales|iniciales|iniziali|originali|segrete|ocultas)")
PROMPT_NOUN = (r"(?:instructions|prompt|systemprompt|system prompt|system message|initial message|rules|guidelines|"
                r"configuration|anweisungen|"
                r"instruktionen|regeln|consignes|regles|instrucciones|reglas|istruzioni|regole|instrucoes|regras|"
                r"instructies)")
SECRET_PROMPT = (
    rf"(?:{YOUR}\s+(?:{SECRET_ADJ}\s+){{0,2}}{PROMPT_NOUN}|the\s+(?:{SECRET_ADJ}\s+){{1,2}}{PROMPT_NOUN}|"
    r"system ?prompt|prompt (?:systeme|del sistema|di sistema|do sistema)|systeemprompt|message systeme|"
    r"mensaje del sistema|messaggio di sistema|systemnachricht|"
    r"(?:everything|all|the text|the words|what is written|what's written)\s+(?:\w+\s+)?above|"
    r"(?:alles|tout ce qui est|todo lo que esta|tutto quello che c'e) (?:oben|ci-dessus|arriba|sopra))")
GIVEN = (r"(?:instructions?|rules|prompt|guidelines|anweisungen|regeln|consignes|instrucciones|reglas|istruzioni|"
          r"regole|instrucoes|regras)\s+(?:that\s+|which\s+|che\s+|que\s+|die\s+|qui\s+)?(?:you\s+(?:were|have been)"
          r"\s+(?:given|told|trained)|ti sono state date|ti hanno dato|te (?:dieron|han dado)|du bekommen hast|"
          r"(?:on|qu'on) t'a donnees|voce recebeu|que tu as recue?s?|que vous avez recue?s?|che hai ricevuto|"
          r"que recibiste|die du erhalten hast)|(?:instructions|prompt|rules|guidelines)\s+(?:that\s+)?you\s+"
          r"(?:got|received)\b|\b(?:start|beginning|top) of (?:this|the|our) (?:chat|conversation|session|context)")

ROLE = _any("ai", "assistant", "bot", "model", "agent", "dan", "gpt", "chatbot", "system", "admin", "administrator",
            "hacker", "classifier", "character", "persona", "unrestricted", "unfiltered", "jailbroken", "evil")
AI_WORDS = (r"(?:ai|a\.i\.|llm|language model|model|assistant|assistent|assistente|asistente|chatbot|gpt|chatgpt|bot|"
       r"classifier|agent|ki|ia)")
