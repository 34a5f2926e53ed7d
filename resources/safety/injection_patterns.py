"""The screen's phrase patterns, built from the multilingual word lists in resources/safety/injection_lexicon.py.

Each pattern is a reason `detect_injection` can give. They run on folded text (lower case, no accents,
lookalikes folded). `RELAXED` applies only to readings that needed de-obfuscation, `SQUASHED` to spaced-out
letters glued into one word.
"""

import re

from resources.safety.injection_lexicon import (
    AFTER,
    AI_WORDS,
    DISMISS,
    GIVEN,
    PROMPT_NOUN,
    QUALIFIER,
    REVEAL,
    ROLE,
    SECRET_PROMPT,
    STRONG_TARGET,
    TARGET,
)

PATTERNS: dict[str, re.Pattern] = {
    "ignore_instructions": re.compile(
        r"(?:^|[.!?:;,]\s*|\b(?:please|now|just|and|then|must|should|shall|will|simply|kindly|bitte|por favor|"
        rf"per favore)\s+){DISMISS}\b(?:\s+[\w']+){{0,3}}?\s+{TARGET}\b|"
        rf"\b{DISMISS}\b(?P<gap>[^.\n]{{0,40}}?)\b{QUALIFIER}\b[^.\n]{{0,25}}?\b{TARGET}\b|"
        rf"\b{DISMISS}\b(?P<gap2>[^.\n]{{0,30}}?)\b{TARGET}\b[^.\n]{{0,15}}?\b{AFTER}\b|"
        rf"\b{DISMISS}\s+(?:the\s+|your\s+|any\s+|all\s+)?{STRONG_TARGET}\b|"
        r"\b(?:forget|ignore|disregard) (?:everything|all)\s+(?:above|before|prior|previous|so far|"
        r"you (?:know|were told))|"
        rf"\b{DISMISS}\b,?\s+(?:the\s+)?(?:above|foregoing|preceding)(?=\s*(?:[.,;:!]|and\b|then\b|$))|"
        rf"\b{DISMISS}\b,?\s+(?:what|everything|all|anything|was|alles,? was)\s+"
        r"(?:you(?:'ve| were| have been| have) (?:been )?"
        r"(?:told|given|taught|instructed)|(?:man )?dir gesagt)|\b(?:ce qu'on t'a dit|ce que l'on t'a dit|"
        r"lo que te (?:dijeron|han dicho|ordenaron)|quello che ti (?:hanno detto|e stato detto)|o que te disseram)\b|"
        rf"\b{QUALIFIER}\b[^.\n]{{0,25}}?\b{TARGET}\b[^.\n]{{0,25}}?\b(?:verwerfen|ignorieren|vergessen|missachten|"
        r"uberschreiben|beiseitelassen|nicht (?:mehr )?(?:beachten|befolgen))\b|"
        rf"\b{DISMISS}\s+(?:todo|tout|alles|tutto|tudo|everything|all)\b[^.\n]{{0,12}}?\b(?:lo anterior|ce qui precede|"
        r"davor|vorher|oben|sopra|prima|above|before|previous|prior|so far|anterior|o anterior|het voorgaande)\b|"
        r"\b(?:no matter what|regardless of(?: what)?|whatever|irrespective of) (?:the |your |any )?(?:instructions?|"
        r"rules|policy|policies|guidelines|prompt|system)\b|"
        # Russian, read unfolded and without accents (so "й" is written "и")
        r"(?:игнорируи|проигнорируи|забудь|не обращаи внимания на)\s+(?:все\s+)?(?:\w+\s+)?(?:инструкци|указани|"
        r"правил)|"
        r"\bvergiss alles\b|\boublie(?:z)? tout\b|\bolvida todo\b|\bdimentica tutto\b|\besqueca tudo\b|"
        r"\bvergeet alles\b|"
        r"\b(?:previous|prior|above|earlier|original|all|the)\s+(?:instructions|guidance|rules|policy|policies|"
        r"directives)\s+(?:is|are|have been|has been)\s+(?:now\s+)?(?:void|revoked|cancel+ed|obsolete|null|"
        r"superseded|no longer valid|invalid|lifted)", re.M),
    "prompt_exfiltration": re.compile(
        rf"\b{REVEAL}\b(?:\s+(?:me|mir|moi|me|mi))?[^.\n?]{{0,30}}?\b{SECRET_PROMPT}|"
        r"\bwhat (?:is|are|was|were) (?:your|the) (?:system prompt|initial prompt|hidden instructions|original "
        r"instructions)|\bwhat (?:instructions|rules|guidelines|prompt) (?:were|have) you (?:been )?(?:given|told)|"
        r"\b(?:everything|all|what|anything) (?:that )?you(?:'ve| were| have been) (?:told|given|instructed)\b|"
        r"\b(?:instructions|rules|guidelines|prompt)\b[^.\n]{0,60}\b(?:verbatim|word for word)\b|"
        r"\byour (?:system |initial |hidden |original )?prompt\b(?! (?:reply|response|replies|service|delivery|"
        r"attention|action|help|answer|support|refund|shipping|dispatch|payment|handling|feedback))|"
        rf"\b{GIVEN}|\bgib\b[^.\n]{{0,40}}\b(?:anweisungen|instruktionen|systemprompt)\b[^.\n]{{0,30}}\baus\b"),
    "role_change": re.compile(
        rf"\byou(?:'re| are) now (?:(?:an?|the|my) (?:\w+ ){{0,2}}?{ROLE}|dan|unrestricted|unfiltered|jailbroken|evil|"
        rf"in \w+ mode)\b|\byou(?:'re| are) (?:now )?no longer (?:an? |the )?(?:\w+ ){{0,2}}?"
        rf"(?:{ROLE}|bound|restricted|"
        r"limited)\b|"
        r"\bfrom now on,? you(?:'ll| will| are| must| should| shall| answer| respond| reply| act| only)\b|"
        r"\b(?:act|behave|pose) like (?:an? |the |my )?(?:\w+ ){0,2}?(?:bot|ai|assistant|model|agent|system|admin|"
        r"developer|dan)\b|\bfrom (?:here|this point) on,? (?:you|your)\b|\byour (?:only|sole|new|real) (?:job|task|"
        r"purpose|role|goal|function) (?:is|will be)\b|"
        r"\bpretend (?:to be|you are|you're|that you)\b|\b(?:act|behave|roleplay|role-play) as (?:an? |the |my )?"
        r"(?:unrestricted|unfiltered|jailbroken|different|new|evil|dan|admin|developer|system|root|ai)\b|"
        r"\bdu bist (?:jetzt|nun|ab sofort|ab jetzt) (?:ein|eine|der|die|kein)|\bab (?:sofort|jetzt) bist du\b|"
        r"\b(?:tu es|vous etes) (?:maintenant|desormais|a present)\b|\ba partir de maintenant,? (?:tu|vous)\b|"
        r"\bdesormais,? (?:tu|vous) (?:es|etes|dois|devez)\b|\b(?:ahora|a partir de ahora|desde ahora),? "
        r"(?:eres|seras|actuas|vas a ser)\b|\b(?:ora|adesso|d'ora in poi|da ora in poi|da adesso),? (?:sei|sarai|"
        r"agisci)\b|\b(?:agora|a partir de agora),? (?:voce e|es|sera)\b|\b(?:je bent nu|vanaf nu ben je)\b|"
        r"\b(?:fais semblant|finge ser|fingi di essere|finja ser|doe alsof|tu so als ob)\b|"
        r"\bpretend (?:that |the |your |you )"),
    "jailbreak": re.compile(
        r"\b(?:jailbreak|jailbroken|developer mode|dan mode|do anything now|god mode|sudo mode|system override|"
        r"admin override|unrestricted mode)\b|"
        rf"\b{AI_WORDS}\s+(?:\w+\s+)?(?:without|with no|ohne|sans|sin|senza|sem|zonder|free of)\s+(?:any\s+)?"
        r"(?:content\s+)?(?:restrictions|rules|filters|limits|limitations|censorship|policy|einschrankungen|regeln|"
        r"filter|limites|filtres|regles|restricciones|filtros|reglas|restrizioni|limiti|filtri|regole|restricoes|"
        r"regras|beperkingen|regels)\b"),
    "output_hijack": re.compile(
        r"\b(?:respond|reply|answer|output|say|write|return|print|begin|start|end)\w*\b[^.\n]{0,30}[\"'`](?:approved?|"
        r"accept(?:ed)?|yes|ok|refund(?:ed)?|pass(?:ed)?|safe|low|true|valid|granted|verified)[\"'`]|"
        r"\b(?:respond|reply|answer|output|say|write|return|print)\b[^.\n]{0,25}\b(?:nothing but|nothing except|"
        r"only|solely|exclusively)\b[^.\n]{0,12}\b(?:the|a|one|single) word\b|"
        r"\b(?:respond|reply|answer|output|return|say|write|print)\s+(?:only|just|solely|exclusively|simply|nothing "
        r"but)\s*(?:with\s+|using\s+|by saying\s+|:\s*)?(?:the\s+)?(?:(?:single|one)\s+)?(?:word\s+)?(?:[\"'`]|"
        r"\b(?:approved?|yes|true|ok|okay|accept(?:ed)?|pass(?:ed)?|safe|refund(?:ed)?|low|valid|granted|allowed?|"
        r"confirmed)\b)|\b(?:respond|reply|answer)\s+with\s+(?:the\s+)?(?:single|one)\s+word\b|"
        r"\b(?:your|the)\s+(?:final\s+|only\s+)?(?:answer|response|output|reply|verdict|classification|decision|"
        r"label|route|rating|score)\s+(?:must|should|will|shall|has to|needs to)\s+(?:be|consist|contain|say|read|"
        r"only|just|equal)\b|\bthe (?:correct|right|true|real|only valid|final) (?:answer|classification|label|"
        r"route|decision|verdict|category|risk|rating) (?:is|=|:)|"
        r"\b(?:antworte|antworten sie|gib|schreibe|sage)\s+(?:\w+\s+)?(?:nur|ausschliesslich|lediglich)\s+(?:mit|:)|"
        r"\b(?:reponds|repondez|ecris|ecrivez|dis|renvoie)\s+(?:uniquement|seulement|juste|simplement)\b|"
        r"\b(?:responde|contesta|escribe|devuelve)\s+(?:solo|solamente|unicamente)\b|"
        r"\b(?:rispondi|scrivi|restituisci)\s+(?:solo|soltanto|unicamente)\b|"
        r"\b(?:responda|responde)\s+(?:apenas|somente)\b|"
        r"\b(?:output|respond|reply|answer|print|return|write|say)\s+(?:exactly|verbatim|literally)\b|"
        r"\b(?:output|respond|reply|answer|print|write|say)\s+(?:only|nothing but|exclusively|just)\s+(?:that|this|"
        r"the following|it)\b|"
        r"\b(?:reply|answer|respond)\s+in\s+(?:one|a single)\s+word\b|\b(?:respond|reply|answer|output|say)\s+with\s+"
        r"[\"'`](?:approved?|yes|true|ok|accept(?:ed)?|pass(?:ed)?|safe|refund(?:ed)?|low|valid|granted)\b|"
        r"\b(?:antwoord|reageer)\s+(?:alleen|enkel|uitsluitend)\b"),
    "decision_override": re.compile(
        r"\b(?:approve|authori[sz]e|accept|refund|process|grant)\b[^.\n]{0,40}\b(?:automatically|without (?:any )?"
        r"(?:review|approval|checks?|checking|verification|human|question)|immediately and skip)\b|"
        r"\b(?:classify|label|route|mark|treat|tag|flag)\s+(?:(?:this|it|me|the request|the \w+|this \w+)\s+)?"
        r"(?:\w+\s+){0,2}?as\s+(?:an?\s+)?(?:low[- ]risk|approved|safe|verified|legitimate|pre-?approved|genuine|"
        r"trusted|not fraud)\b|\b(?:set|change|update)\s+(?:the\s+)?(?:route|needs_review|needs review|fraud_risk|"
        r"risk|decision|verdict|approval|approved|classification|label)\b[^.\n]{0,20}?\s(?:to|=|:)\s|"
        r"\b(?:do not|don't|never) (?:flag|escalate|review|question) (?:this|it|me|the)\b|"
        r"\b(?:default|fallback) (?:action|decision|route|verdict|label|answer)\s*[:=]\s*(?:approve|refund|accept|"
        r"pass|allow)|"
        r"\b(?:disable|turn off|deactivate|switch off|bypass|skip)\s+(?:all\s+)?(?:the\s+)?(?:fraud |safety |security |"
        r"content )?(?:checks|filters|review|verification|moderation|guardrails)\b|"
        r"\b(?:all|every) (?:refunds?|returns?|"
        r"requests?|orders?|claims?) (?:are|is|will be) (?:now )?(?:pre-?approved|approved|auto-?approved|"
        r"authori[sz]ed)\b|\b(?:route|needs_review|fraud_risk|decision|verdict|risk|label|classification|approved)"
        r"\s*(?:=|:=|->)\s*\w|\b(?:marca|marcar|marque|marquez|markiere|segna|contrassegna|markeer)\b[^.\n]{0,30}"
        r"\b(?:como|comme|als|come)\s+(?:verificad[oa]|aprobad[oa]|segur[oa]|verifie|approuve|sur|verifiziert|"
        r"genehmigt|sicher|verificat[oa]|approvat[oa]|sicur[oa]|goedgekeurd|veilig)\b"),
    "authority_claim": re.compile(
        r"\b(?:as|i am|i'm|this is) your (?:developer|creator|admin|administrator|operator|owner|programmer|maker|"
        r"system administrator|supervisor)\b|\b(?:openai|anthropic|system) (?:staff|team|administrator) here\b|"
        r"\b(?:message|notice|update|order|instructions?) from (?:the )?(?:system administrator|sysadmin|administrator|"
        r"admin team|developers?|dev team|openai|anthropic|security team|it department|moderators?)\b"),
    "addressed_to_model": re.compile(
        r"\b(?:new|updated|different) (?:rules|policy|policies|instructions) (?:now )?(?:apply|are in effect|take "
        r"effect|override)\b|\b(?:your|the|as) new (?:system prompt|instructions|rules|task|role|directive|"
        r"orders)\b|\b(?:nueva tarea|nuevas instrucciones|neue aufgabe|neue anweisungen?|nouvelle tache|"
        r"nouvelles (?:instructions|consignes)|nuovo compito|nuove istruzioni|nova tarefa|novas instrucoes|nieuwe taak|"
        r"nieuwe instructies)\s*:|"
        rf"\b(?:new|updated|real|actual|secret|additional|next) (?:task|instructions?|directive|orders?|prompt)s?"
        rf"(?: for (?:the |any )?{AI_WORDS})?\s*:|\b(?:note|message|attention|important|instructions?) (?:to|for) "
        rf"(?:the |any |all )?{AI_WORDS}s?\b|\battention,? (?:the )?{AI_WORDS}\b|"
        rf"\b(?:dear|hey|hi|hello) {AI_WORDS}\b[^.\n]{{0,60}}\b(?:must|should|will|ignore|approve)\b|"
        rf"\bif you(?:'re| are) an? {AI_WORDS}\b|\b{AI_WORDS}s? (?:reading|processing|parsing|analy[sz]ing|"
        rf"summari[sz]ing|reviewing) this\b|\b{AI_WORDS} (?:agents?|assistants?|models?|systems?)\s*:|"
        r"\b(?:an die|liebe|hallo|hinweis fur die) ki\b|\b(?:a l'|chere |note pour l')ia\b|\b(?:a la|querida|"
        r"nota para la|para la) ia\b|\b(?:all'|cara |nota per l'|per l')ia\b"),
    # A word for the model and, in the same line, the outcome it should produce ("PS for the bot: pre-approved"),
    # unless the customer reports what a bot said ("your chatbot told me ... approved").
    "model_directive": re.compile(
        r"\b(?:ai|bot|chatbot|assistant|llm|gpt|chatgpt|language model|classifier|model|agent|system)\b"
        r"(?:(?!\b(?:said|says|told|mentioned|promised|confirmed|claimed|wrote)\b)[^\n]){0,80}?\b(?:pre-?approved?|"
        r"approve[ds]?|auto-?approved?|authori[sz]e[ds]?|low[- ]risk|verified|legitimate|no (?:checks?|review|"
        r"verification)\b|skip (?:the )?(?:review|checks?)|without (?:review|checks?|verification)|needs_review|"
        r"fraud_risk)\b"),
}

# Enough on a reading that needed de-obfuscation (spaced, leet, decoded, hidden, lookalikes): hiding text from
# filters is itself the second signal, so a dismissing or revealing verb near a prompt noun suffices.
RELAXED: dict[str, re.Pattern] = {
    "ignore_instructions": re.compile(rf"\b{DISMISS}\b(?:\s+[\w']+){{0,3}}?\s+{TARGET}\b"),
    "prompt_exfiltration": re.compile(rf"\b{REVEAL}\b(?:\s+[\w']+){{0,3}}?\s+{PROMPT_NOUN}\b"),
}

# Compact phrases checked on spaced-out letters that were glued into one word ("ignoreallpreviousinstructions").
SQUASHED: dict[str, re.Pattern] = {
    "ignore_instructions": re.compile(
        r"(?:ignore|disregard|forget|override|bypass)(?:all|any|the|of|your)*(?:previous|prior|above|earlier|"
        r"preceding|system|original|initial)+(?:instructions?|prompts?|rules|directions|guidelines)|"
        r"ignorier\w*anweisungen|ignor\w*(?:instrucciones|istruzioni|consignes)"),
    "prompt_exfiltration": re.compile(
        r"(?:reveal|print|show|repeat|output|leak|display)(?:me)?(?:your|the)(?:full|hidden|initial|original|"
        r"secret)?(?:systemprompt|instructions|prompt)"),
    "role_change": re.compile(r"youarenow(?:dan|unrestricted|jailbroken)"),
}

# Chinese (simplified and traditional), Japanese and Korean: no spaces, so no \b; each pattern still needs two signals
# in one sentence (a dismissing verb and "the earlier instructions", a revealing verb and "your system prompt").
# A customer's own earlier delivery note or address ("请忽略之前地址里的错别字", "以前の配送先の指示は無視して") is kept out.
# `detect_injection` runs these only on text that has CJK characters.
HAS_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_S = r"[^。！？!?.\n]"  # within one sentence
_NOT_OWN = r"(?!" + r"|".join(("我的", "我们的", "我們的", "地址", "送货", "送貨", "配送", "快递", "快遞", "收货", "收貨",
                             "照片", "邮件", "郵件", "订单", "訂單", "私の", "配達", "お届け", "住所", "メール", "写真",
                             "注文", "説明書", "배송", "주소", "메일", "사진", "제 ")) + ")"
_ZH_DISMISS = r"(?:忽略|忽视|忽視|无视|無視|不要理会|不要理會|不必理会|不必理會|不用理会|不用理會|别管|別管|不要管|不用管|忘记|忘記|忘掉|抛开|拋開|撇开|撇開|不要再?遵守|不再遵守|不要再?遵循|不用再?遵守|覆盖|覆蓋)(?!了)"
_ZH_PRIOR = r"(?:之前|以上|上面|上述|先前|此前|原来|原來|原有|原先|前面|前述|所有|全部|一切|初始|系统|系統)"
_ZH_RULES = r"(?:指令|指示|规则|規則|提示词?|提示詞|设定|設定|约束|約束|规定|規定|命令|限制|指导方针|指導方針|准则|準則)"
_JA_PRIOR = r"(?:以前|これまで|今まで|上記|前述|先ほど|さっき|最初|元|前|上|システムプロンプト)"
_JA_RULES = r"(?:指示|命令|ルール|指図|設定|ガイドライン|プロンプト|制約|規則|内容)"
_JA_DISMISS = r"(?:無視|忘れ|破棄|従わな|従う必要は(?:ない|ありません)|気にしな|なかったことに|リセット)"
_KO_PRIOR = r"(?:이전|위의|위|앞서|앞의|지금까지|기존|원래|처음|시스템 ?프롬프트)"
_KO_RULES = r"(?:지시|지침|규칙|명령|프롬프트|설정|가이드라인)"
_KO_DISMISS = r"(?:무시|잊어|잊으|따르지|신경 ?쓰지|취소|없던 걸로)"
_SECRET_ZH = r"(?:系统提示|系統提示|提示词|提示詞|(?:初始|原始|隐藏的?|隱藏的?|内部|內部)(?:指令|提示|设定|設定|配置|规则|規則)|系统消息|系統訊息|你的(?:设定|設定|配置|指令|规则|規則))"
_REVEAL_ZH = r"(?:显示|顯示|输出|輸出|打印|印出|告诉我|告訴我|给我看|給我看|发给我|發給我|复述|複述|重复|重複|泄露|洩露|列出|展示|透露)"
_SECRET_JA = r"(?:システムプロンプト|システムメッセージ|隠された(?:指示|設定)|(?:最初|初期)の?(?:指示|プロンプト)|内部の?指示|あなたの(?:プロンプト|指示|設定))"
_REVEAL_JA = r"(?:見せ|教え|出力|表示|繰り返|書い|書き出|貼り付け|漏ら|開示)"
_SECRET_KO = r"(?:시스템 ?프롬프트|숨겨진 (?:지시|설정)|처음 받은 지시|내부 지시)"
_REVEAL_KO = r"(?:보여|출력|알려|반복|공개|말해)"
CJK_PATTERNS: dict[str, re.Pattern] = {
    "ignore_instructions": re.compile(
        rf"{_ZH_DISMISS}(?:{_NOT_OWN}{_S}){{0,10}}?{_ZH_PRIOR}(?:{_NOT_OWN}{_S}){{0,8}}?{_ZH_RULES}|"
        rf"{_ZH_PRIOR}(?:{_NOT_OWN}{_S}){{0,6}}?(?:指令|指示|规则|規則|设定|設定|约束|約束)(?:{_S}){{0,6}}?(?:全部|一律|都|统统|統統)?"
        r"(?:作废|作廢|无效|無效|失效|不算数|不算數|取消|撤销|撤銷)|"
        rf"{_JA_PRIOR}の?(?:{_NOT_OWN}{_S}){{0,8}}?{_JA_RULES}(?:{_S}){{0,8}}?{_JA_DISMISS}|"
        rf"{_KO_PRIOR}(?:{_NOT_OWN}{_S}){{0,8}}?{_KO_RULES}(?:{_S}){{0,8}}?{_KO_DISMISS}"),
    "prompt_exfiltration": re.compile(
        rf"{_REVEAL_ZH}{_S}{{0,12}}?{_SECRET_ZH}|{_SECRET_ZH}{_S}{{0,16}}?(?:{_REVEAL_ZH}|原样|原樣|原封不动|原封不動)|"
        rf"{_SECRET_JA}{_S}{{0,16}}?{_REVEAL_JA}|{_SECRET_KO}{_S}{{0,16}}?{_REVEAL_KO}"),
    "role_change": re.compile(
        rf"你(?:现在|現在|从现在起|從現在起|从现在开始|從現在開始)?(?:是|就是|成为|成為)(?:一个|一個)?{_S}{{0,6}}?"
        r"(?:没有任何|沒有任何|没有|沒有|不受任何|不受|无|無)(?:限制|约束|約束|规则|規則)|"
        r"(?:今から|これから|今後)?あなたは(?:今|これから|今後)?[^。\n]{0,6}?制限の(?:ない|無い)|"
        r"(?:지금부터|이제) 너는[^.\n]{0,8}제한(?:이)? 없는"),
    "output_hijack": re.compile(
        r"(?:只|仅|僅|只能|只需|只要)(?:回答|回复|回覆|输出|輸出|说|說|写|寫)[^。\n]{0,4}[“「\"'『](?:已?批准|通过|通過|同意|是|安全|"
        r"低风险|低風險|ok|approved)|"
        r"[「『\"'“](?:承認(?:済み)?|ok|はい|安全|問題なし|approved)[」』\"'”](?:と|だけ)[^。\n]{0,6}?(?:答え|出力|返|書)|"
        r"['\"“](?:승인|예|안전|ok|approved)['\"”](?:이)?라고만"),
}
