"""What a post says in words: symptoms and settings described in English or Chinese prose.

People who ask for help describe what they see ("accuracy stays around 0.5", "loss becomes
nan after 3 epochs", "准确率一直在0.5附近", "loss突然变大") and what they used ("I'm using
mean_squared_error", "我用的是mean_squared_error"). :func:`read_statements` finds such
sentences with a small phrase table per language (regular expressions, no language model)
and returns them as :class:`~app.core.run.Statement` items: evidence of kind *described*,
weaker than a measured curve, always shown with the sentence and its line.

Only prose is read: lines that are code, log records or tables are skipped, and a phrase
is taken at most once per sentence (the most specific one: "accuracy stays at 0.5" is
``stuck_chance_accuracy``, not ``oscillation``, even when the sentence also says it jitters).
Advice in the text is told from what was done: in "use binary_crossentropy, not
mean_squared_error" the loss that was used is the second one.
"""

from __future__ import annotations

import re

from app.core.run import Statement

MAX_TEXT = 1_000_000  # characters of a post read for statements
MAX_STATEMENTS = 200
MAX_SENTENCE = 200  # characters of a sentence kept for display

_CJK = "\u3400-\u9fff"
_CODE_LINE = re.compile(
    r"^\s*(import |from \S+ import|def |class |return\b|if .*:\s*$|for .*:\s*$|while |with |try:|except|"
    r"@|#|[\w.\[\]'\"]+\s*(=|\+=|-=)\s*[^=]|[\w.]+\([^)]*\)\s*$|[)\]}],?\s*$)")
# Keras prints, not prose: bars, records, headers, and callback messages ("Epoch 6: val_loss
# did not improve from 0.60263" is ModelCheckpoint speaking, not the poster describing a plateau).
_LOG_LINE = re.compile(r"(\d+/\d+\s*\[|\s-\s\w*loss:\s|^\s*Epoch\s+\d+\s*/\s*\d+|^\s*Epoch\s+\d+:\s|[━=]{5}|"
                       r"\|\s*[-\d.]+\s*\|)")
_SENTENCE_END = re.compile(r"(?<=[.!?;])(?=\s|$)\s*|(?<=[。！？；])\s*|(?<=[,，])\s*(?=but\b|但是|但)", re.I)

NUM = r"(?P<value>\d*\.\d+|\d+(?:\.\d+)?\s*%|百分之[五十一二三四六七八九]+)"
_ACC = r"(?:(?P<val>val(?:idation)?[ _]?|test[ _]|验证集?的?|测试集?的?)?(?:acc(?:uracy)?|准确率|准确度|正确率|精度|精确度))"
_LOSS = r"(?:(?P<val>val(?:idation)?[ _]?|验证集?的?)?(?:loss|cost|损失(?:函数)?(?:值)?|代价))"
_STUCK_EN = (r"(?:stuck|stays?|stayed|staying|remains?|remained|hovers?|hovering|sits?|fixed|frozen|"
             r"constant|always|never (?:goes|gets|rises) (?:above|over|past)|(?:does ?n[o']t|did ?n[o']t|is ?n[o']t|not|never) "
             r"(?:change|changing|move|moving|budge|go above|increase|improve)|won'?t (?:change|increase|improve|budge)|oscillat\w*|jump\w* around)")
_NEAR_EN = r"(?:at|around|near|about|on|of|is|=|to|in)?\s*(?:~|≈)?\s*"

# (language, symptom id, pattern). Order matters: the first symptom that matches a
# sentence wins (the specific "stuck at chance" before the general "not learning").
_SYMPTOMS: tuple[tuple[str, str, re.Pattern], ...] = tuple(
    (lang, sid, re.compile(pattern, re.I)) for lang, sid, pattern in (
        # --- English
        ("en", "val_stuck_train_improves",
         r"train(?:ing)?[ _]?acc(?:uracy)?\b.{0,60}?\b(?:increas\w*|improv\w*|goes up|going up|rises|rising|high|reach\w*|keeps? (?:rising|growing))"
         r".{0,80}?\bval(?:idation)?[ _]?acc(?:uracy)?\b.{0,40}?" + _STUCK_EN),
        ("en", "val_stuck_train_improves",
         r"\bval(?:idation)?[ _]?acc(?:uracy)?\b.{0,40}?" + _STUCK_EN + r".{0,80}?\b(?:while|whereas|but|although)\b.{0,40}?"
         r"train(?:ing)?[ _]?(?:acc(?:uracy)?|loss)\b.{0,40}?\b(?:increas\w*|improv\w*|decreas\w*|goes|rises|keeps)"),
        ("en", "stuck_chance_accuracy", r"\b" + _ACC + r"\b.{0,40}?\b" + _STUCK_EN + r"\b.{0,20}?" + _NEAR_EN + NUM),
        ("en", "stuck_chance_accuracy", r"\b" + _ACC + r"\b.{0,30}?\b(?:never changes?|(?:does ?n[o']t|did ?n[o']t|not) change|"
                                         r"stays? the same|is always the same|same every epoch|constant|stuck|frozen)\b"),
        ("en", "stuck_chance_accuracy", r"\b(?:always|only) predicts? (?:the same|one|a single) (?:class|value|label)|predicts? the same (?:class|value|output) for (?:all|every)"),
        ("en", "nan_loss", r"\b" + _LOSS + r"\b.{0,40}?\b(?:becomes?|became|turns?(?: into)?|turned(?: into)?|goes|going|went|gets?|got|getting|is|was|are|were|jumps? to|shows?|showing|returns?|gives?|reaches|reached)\b"
                            r".{0,20}?\b(?:nan|inf|infinity|infinite)\b"),
        ("en", "nan_loss", r"\b(?:nan|inf) (?:loss|values? (?:in|for) (?:the )?loss)\b|\bloss (?:of|is|was|=) (?:nan|inf)\b"),
        ("en", "loss_spike", r"\b" + _LOSS + r"\b.{0,40}?\b(?:suddenly|abruptly|all of a sudden|then jumps?|then shoots?)\b.{0,25}?"
                              r"(?:increas\w*|jump\w*|ris\w*|rose|goes up|went up|spik\w*|explod\w*|shoots? up|blows? up|skyrocket\w*)"),
        ("en", "loss_spike", r"\b" + _LOSS + r"\b.{0,30}?\b(?:spikes?|spiked|explodes?|exploded|blows? up|blew up)\b"),
        ("en", "eval_mismatch", r"\bevaluat\w*\b.{0,100}?\b(?:different|differs?|disagrees?|mismatch\w*|not the same|much (?:lower|worse|higher))\b"),
        ("en", "eval_mismatch", r"\b(?:different|differs?|much (?:lower|worse)|drops?)\b.{0,60}?\b(?:model\.)?evaluate\b"),
        ("en", "loss_collapse_zero", r"\b" + _LOSS + r"\b.{0,30}?\b(?:drops?|goes|went|falls?|fell|reaches|reached|becomes?|became|is|was|quickly|immediately)\b"
                                      r".{0,15}?\b(?:to )?(?:zero|0(?:\.0+)?)(?![.\d])(?!\s*%)"),
        ("en", "overfitting", r"(?<!avoid )(?<!prevent )(?<!reduce )(?<!against )(?<!no )(?<!not )\boverfit\w*\b"),
        ("en", "overfitting", r"\bval(?:idation)?[ _]?loss\b.{0,40}?\b(?:increas\w*|goes up|going up|rises|rising|went up|grows?|growing)\b"),
        ("en", "oscillation", r"\b(?:loss|acc(?:uracy)?)\b.{0,40}?\b(?:fluctuat\w*|oscillat\w*|jumps? (?:up and down|around)|bounc\w* around|very (?:unstable|noisy)|erratic\w*)\b"),
        ("en", "plateau_no_learning", r"\b" + _LOSS + r"\b.{0,40}?\b(?:does ?n[o']t|did ?n[o']t|is ?n[o']t|not|never|won'?t|hardly|barely)\b.{0,12}?"
                                       r"\b(?:decreas\w*|chang\w*|go(?:ing)? down|improv\w*|drop\w*|mov\w*|reduc\w*|converg\w*|fall\w*)"),
        ("en", "plateau_no_learning", r"\b(?:not learning|does ?n[o']t learn|is ?n[o']t learning|won'?t learn|not learn anything|learns nothing)\b"),
        ("en", "plateau_no_learning", r"\b" + _LOSS + r"\b.{0,30}?\b(?:stuck|constant|stays the same|flat|stagnat\w*|plateau\w*)\b"),
        ("en", "slow_convergence", r"\b(?:converg\w*|learn\w*|train\w*|decreas\w*)\b.{0,20}?\b(?:very |too |extremely |really )?slow(?:ly)?\b"),
        # --- Chinese
        ("zh", "val_stuck_train_improves", r"训练集?.{0,6}(?:准确率|acc|精度).{0,10}(?:上升|提高|增加|很高|升高|达到).{0,30}(?:验证集?|测试集?|val).{0,6}(?:准确率|acc|精度).{0,10}(?:不变|不动|一直|始终|保持|停|卡)"),
        ("zh", "stuck_chance_accuracy", _ACC + r".{0,15}?(?:一直|始终|总是|都|停|卡|保持|徘徊|维持|稳定|固定|在|变为|变成|降到|降为|掉到|只有|只)"
                                  r".{0,12}?" + NUM),
        ("zh", "stuck_chance_accuracy", _ACC + r".{0,10}?(?:一直|始终|总是)?(?:不变|不动|没有?变化?|不提升|不提高|上不去|不上升|不增加|一动不动)"),
        ("zh", "nan_loss", _LOSS + r".{0,15}?(?:变成|变为|出现|为|是|成了|变|等于|全是|都是)\s*(?:nan|inf|无穷)"),
        ("zh", "loss_spike", _LOSS + r".{0,10}?(?:突然|骤然|一下子|忽然|陡然).{0,6}?(?:变大|增大|上升|增加|升高|暴涨|飙升|爆炸|变高)"),
        ("zh", "eval_mismatch", r"evaluate.{0,30}?(?:不一样|不同|差很多|相差|差别|差距)"),
        ("zh", "overfitting", r"(?<!防止)(?<!避免)(?<!减少)(?<!减轻)(?<!缓解)过拟合"),
        ("zh", "overfitting", r"(?:验证集?|val)(?:的)?(?:loss|损失).{0,10}?(?:上升|增大|变大|升高|增加)"),
        ("zh", "oscillation", r"(?:loss|损失|准确率|acc).{0,10}?(?:震荡|振荡|波动|抖动)"),
        ("zh", "plateau_no_learning", _LOSS + r".{0,10}?(?:不下降|不降|不变|没有?变化|降不下去|不收敛|下不去|不减少|不减小)"),
        ("zh", "slow_convergence", r"收敛.{0,4}?(?:很|太|非常|特别)?慢"),
    ))

_LOSSES = {
    "mean_squared_error": "mean_squared_error", "mse": "mean_squared_error",
    "mean_absolute_error": "mean_absolute_error", "mae": "mean_absolute_error",
    "binary_crossentropy": "binary_crossentropy", "binary cross-?entropy": "binary_crossentropy",
    "categorical_crossentropy": "categorical_crossentropy", "categorical cross-?entropy": "categorical_crossentropy",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "kl_divergence": "kl_divergence", "kullback_leibler_divergence": "kl_divergence", "hinge": "hinge",
    "logcosh": "log_cosh", "huber": "huber",
}
_LOSS_NAME = r"(?P<loss>" + "|".join(sorted(_LOSSES, key=len, reverse=True)) + r")"
# What was used (the loss in these phrases is the one the run had)...
_USED = re.compile(
    r"(?:\b(?:i|we)(?:'m| am| was| were| have been| had)?\s+(?:using|used|use|tried|trying|chose|picked)\b.{0,30}?|"
    r"\bwith (?:a |the )?|\bloss (?:function )?(?:is|was|=|of)\s*|\b(?:instead of|rather than|not)\s+|"
    r"\b(?:do ?n[o']t|do not|not to|never|shouldn'?t|should not) use\s+|"
    r"(?:我)?(?:用的是|用了|使用了?|采用了?|选用了?|用)\s*|(?:不要|别|不该|不应该)(?:再)?用\s*|损失函数(?:是|为|用的是)\s*)"
    + _LOSS_NAME + r"(?![\w])", re.I)
# ... and what is advice (the loss named here is the proposed fix).
_ADVICE = re.compile(
    r"(?:\b(?:use|try|try using|switch(?:ed)? to|change(?:d)? (?:it )?to|replace(?:d)? (?:it )?with|"
    r"(?:should|could|may|might) (?:want to )?use|recommend\w*)\s+(?:the |a )?|"
    r"(?:建议|推荐|改用|换成|改成|换为|改为|(?:希望|需要|应该|应当|可以|不妨|最好)(?:使用|用|改用))(?:用)?\s*)"
    + _LOSS_NAME + r"(?![\w])", re.I)
_LR = re.compile(r"(?:learning[ _]rate|\blr\b|学习率)\s*(?:of|is|was|=|:|为|是|设为|设置为|设成|设置成)?\s*"
                 r"(?P<value>\d*\.\d+(?:e-?\d+)?|\d+e-?\d+|1e-?\d+)", re.I)
_LR_ADVICE = re.compile(r"(?:lower|reduce|decrease|increase|raise|try|降低|减小|调小|调大|提高|试试)", re.I)


def _is_prose(line: str) -> bool:
    text = line.strip()
    if len(text) < 6 or not re.search(r"[A-Za-z" + _CJK + "]", text):
        return False
    if _LOG_LINE.search(text):
        return False
    if _CODE_LINE.match(text):
        return False
    if re.search("[" + _CJK + "]", text):
        return True  # a Chinese sentence
    words = re.findall(r"[A-Za-z]{2,}", text)
    return len(words) >= 3


def _sentences(line: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(line) if part and part.strip()]


def _shown(sentence: str) -> str:
    return sentence if len(sentence) <= MAX_SENTENCE else sentence[:MAX_SENTENCE - 1] + "…"


def read_statements(text: str, path: str = "<pasted text>") -> list[Statement]:
    """The symptoms and settings the prose of ``text`` describes (at most MAX_STATEMENTS)."""
    out: list[Statement] = []
    seen: set[tuple[str, str]] = set()
    for lineno, line in enumerate(text[:MAX_TEXT].splitlines(), start=1):
        if len(out) >= MAX_STATEMENTS:
            break
        if not _is_prose(line):
            continue
        for sentence in _sentences(line):
            lang = "zh" if re.search("[" + _CJK + "]", sentence) else "en"
            shown = _shown(sentence)
            for stmt in _symptoms_in(sentence, lang, shown, lineno, path) + _settings_in(sentence, lang, shown, lineno, path):
                key = (stmt.kind + ":" + stmt.id, str(stmt.value))
                if key in seen:
                    continue
                seen.add(key)
                out.append(stmt)
    return out[:MAX_STATEMENTS]


def _symptoms_in(sentence: str, lang: str, shown: str, lineno: int, path: str) -> list[Statement]:
    for item_lang, symptom, pattern in _SYMPTOMS:
        if item_lang != lang and not (lang == "zh" and item_lang == "en"):
            continue
        match = pattern.search(sentence)
        if match is None:
            continue
        groups = match.groupdict()
        metric = None
        if symptom in ("stuck_chance_accuracy", "val_stuck_train_improves"):
            metric = "val_accuracy" if groups.get("val") or symptom == "val_stuck_train_improves" else "accuracy"
        elif symptom in ("nan_loss", "loss_spike", "plateau_no_learning", "loss_collapse_zero"):
            metric = "val_loss" if groups.get("val") else "loss"
        value = _value(groups.get("value"))
        return [Statement(kind="symptom", id=symptom, value=value, metric=metric, sentence=shown,
                          path=path, line=lineno, lang=lang)]
    return []


def _value(text: str | None) -> float | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("百分之"):
        return {"百分之五十": 0.5, "百分之十": 0.1}.get(text)
    try:
        if text.endswith("%"):
            return float(text[:-1]) / 100.0
        value = float(text)
    except ValueError:
        return None
    return value if 0 <= value <= 1 else (value / 100.0 if value <= 100 else None)


def _settings_in(sentence: str, lang: str, shown: str, lineno: int, path: str) -> list[Statement]:
    out = []
    advice = {m.start("loss") for m in _ADVICE.finditer(sentence)}
    for match in _USED.finditer(sentence):
        if match.start("loss") in advice:
            continue
        name = _LOSSES.get(match.group("loss").lower().replace("-", ""))
        name = name or next((v for k, v in _LOSSES.items() if re.fullmatch(k, match.group("loss"), re.I)), None)
        if name:
            out.append(Statement(kind="setting", id="loss", value=name, metric=None, sentence=shown,
                                 path=path, line=lineno, lang=lang))
            break
    match = _LR.search(sentence)
    if match and not _LR_ADVICE.search(sentence[:match.start()][-25:]):
        try:
            value = float(match.group("value"))
        except ValueError:
            value = None
        if value is not None and 0 < value < 10:
            out.append(Statement(kind="setting", id="learning_rate", value=value, metric=None,
                                 sentence=shown, path=path, line=lineno, lang=lang))
    return out
