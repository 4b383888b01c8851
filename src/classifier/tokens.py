"""Sudachi tokenisation into content-word features.

The tokenizer object stores only its settings. The Sudachi dictionary and tokenizer are
built lazily, once per thread (a Sudachi Tokenizer is not thread-safe) and never pickled
(Sudachi objects cannot be), so a fitted model that holds a :class:`JapaneseTokenizer` can
be saved with joblib and sent to worker processes; each rebuilds its own Sudachi object.

A feature is a string:

* ``w:<normalized form>`` for each content word (nouns, verbs, adjectives, 形状詞), with
  spelling variants unified by Sudachi's ``normalized_form`` (セキュリティ/セキュリティー);
* ``a:<sub-word>`` for the mode-A parts of a long compound (国立大学 → 国立, 大学), so
  a compound in a request meets its parts in the policy;
* ``s:<group id>`` for the Sudachi synonym group of a word (自治体 ~ 地方公共団体);
* ``t:<concept>`` for a domain-thesaurus concept named in the text, either by the policy's
  own term or by a word requests use for it (鉄道事業者, 銀行 → ``t:重要インフラ``).

:meth:`JapaneseTokenizer.analyze` also returns, per feature, the surface form the analyst
wrote, which becomes the evidence shown next to a prediction.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import chain

from .textutil import cell_text, squeeze

# Policy boilerplate and function-like nouns that say nothing about the topic.
STOP_WORDS = frozenset(
    """
    こと もの 物 ため 為 等 など 点 上 中 下 内 外 的 化 性 方 者
    場合 際 以下 以上 上記 同 施策 取組 取り組み 取組み 踏まえる 資する
    図る 講じる 係る 関する 対する 向ける 基づく おける 於く 置く 為る
    成る 有る 居る 出来る 行う 進める 推進 実施 実現 確保 促進 強化 充実
    必要 重要 所要 一層 各 当該 本 今後 現行 様々 一般 全体 関連 事業
    予算 経費 要求 概算 令和 平成 年度 年 月 日 方針 決定 改定 本部
    戦略 つながる 繋がる 含める 含む 用いる
    つく 付く よる 因る おく 応じる 通じる 伴う 関わる 際する 渡る 当たる 対象 別 府
    """.split()
)

_KEEP_POS = ("名詞", "動詞", "形容詞", "形状詞")
_DROP_SUB_POS = ("数詞", "代名詞", "非自立可能")
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SENTENCE_SPLIT = re.compile(r"(?<=[。．！？!?\n])")
# Sudachi refuses input over 49,149 bytes and a tokenizer that has seen a long input stays
# slower afterwards, so text is cut into pieces well below that.
MAX_CHUNK_BYTES = 4096


def clean_text(text: object) -> str:
    """NFKC-normalise and drop control, zero-width and lone-surrogate characters.

    Non-strings (NaN, None, numbers from a spreadsheet cell) become ``""`` or their text.
    """
    text = cell_text(text)
    text = _SURROGATE.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = _CONTROL.sub(" ", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")


def trie_pattern(terms: Iterable[str]) -> str:
    """A regex matching any of ``terms``, longest first, factored as a prefix trie.

    A flat alternation of a few hundred terms makes the regex engine try every term at
    every position; the trie tries only the branches that share the next character.
    """
    trie: dict = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy optional: a longer term is tried before the one that ends here.
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def _protect_spaces(text: str) -> str:
    # An ASCII space becomes U+3000: Sudachi treats both as blank, and then the
    # space-joined string of surfaces can be split back without ambiguity.
    return text.replace(" ", "\u3000") if " " in text else text


def chunks(text: str, max_bytes: int = MAX_CHUNK_BYTES) -> Iterator[str]:
    """Split text at sentence ends into pieces of at most ``max_bytes`` UTF-8 bytes."""
    if len(text) * 4 <= max_bytes or len(text.encode("utf-8")) <= max_bytes:
        if text:
            yield text
        return
    piece = ""
    size = 0
    for sentence in _SENTENCE_SPLIT.split(text):
        n = len(sentence.encode("utf-8"))
        if n > max_bytes:  # one enormous "sentence": cut it by characters
            if piece:
                yield piece
                piece, size = "", 0
            yield from _hard_cut(sentence, max_bytes)
            continue
        if size + n > max_bytes and piece:
            yield piece
            piece, size = "", 0
        piece += sentence
        size += n
    if piece:
        yield piece


def _hard_cut(text: str, max_bytes: int) -> Iterator[str]:
    piece: list[str] = []
    size = 0
    for ch in text:
        n = len(ch.encode("utf-8"))
        if size + n > max_bytes:
            yield "".join(piece)
            piece, size = [], 0
        piece.append(ch)
        size += n
    if piece:
        yield "".join(piece)


@dataclass(frozen=True)
class TokenizerSettings:
    """Everything that determines the features; saved with a model instead of Sudachi objects."""

    dictionary: str = "core"
    mode: str = "C"
    # Both measured on the dev split (cross-validated) and off by default: with the domain
    # thesaurus in place, mode-A sub-words and Sudachi synonym groups lowered top-1.
    subwords: bool = False
    synonyms: bool = False
    max_synonym_groups: int = 2  # words in many groups (職員: 5) are too ambiguous to expand
    # Domain thesaurus, (term as requests write it, the policy's concept): 市町村 → 地方公共団体.
    thesaurus: tuple[tuple[str, str], ...] = ()


class JapaneseTokenizer:
    """Text → content-word features, with Sudachi built lazily per thread."""

    def __init__(self, settings: TokenizerSettings | None = None) -> None:
        self.settings = settings or TokenizerSettings()
        self.lexicon: dict[str, tuple[tuple[str, str], ...] | None] = {}
        self._local = threading.local()

    # Pickle only settings and the lexicon: Sudachi objects cannot be pickled or shared
    # across threads, so each process or thread builds its own on first use.
    def __getstate__(self) -> dict:
        return {"settings": asdict(self.settings), "lexicon": self.lexicon}

    def __setstate__(self, state: dict) -> None:
        self.settings = TokenizerSettings(**state["settings"])
        self.lexicon = state.get("lexicon", {})
        self._local = threading.local()

    def learn_lexicon(self, texts: Iterable[object]) -> None:
        """Freeze surface → features for every surface that always analyses the same way.

        Looking a surface up is several times cheaper than asking Sudachi about each
        morpheme, and fixing the table at training time keeps predictions deterministic.
        A surface seen with more than one analysis (は as particle or as 葉) stays out, as
        does every surface not seen here: those are analysed in context, morpheme by
        morpheme.
        """
        sudachi = self._sudachi()
        seen: dict[str, set[tuple[tuple[str, str], ...]]] = {}
        for text in texts:
            for piece in chunks(clean_text(text)):
                for m in sudachi.tokenizer.tokenize(_protect_spaces(piece)):
                    pairs = sudachi.cache.get(m.word_id())
                    if pairs is None:
                        pairs = self._pairs(sudachi, m)
                    seen.setdefault(m.surface(), set()).add(pairs)
        self.lexicon = {s: next(iter(p)) for s, p in sorted(seen.items()) if len(p) == 1}

    def _sudachi(self):
        local = self._local
        if getattr(local, "tokenizer", None) is None:
            from sudachipy import Dictionary, SplitMode

            local.dictionary = Dictionary(dict=self.settings.dictionary)
            local.tokenizer = local.dictionary.tokenizer(getattr(SplitMode, self.settings.mode))
            local.split_a = SplitMode.A
            local.cache = {}  # word_id -> features of that dictionary word
            local.pos_ok = {}  # part-of-speech id -> keep?
            local.oov_cache = {}  # (surface, part-of-speech id) -> features of an unknown word
            local.thesaurus = self._compile_thesaurus()
        return local

    def _compile_thesaurus(self) -> tuple[re.Pattern[str] | None, dict[str, tuple[str, ...]]]:
        """One regex over every term and concept name, and the concept features of each."""
        if not self.settings.thesaurus:
            return None, {}
        concepts: dict[str, set[str]] = {}
        for term, concept in self.settings.thesaurus:
            for surface in (clean_text(term), clean_text(concept)):
                concepts.setdefault(surface, set()).add(f"t:{clean_text(concept)}")
        pattern = re.compile(trie_pattern(concepts))
        return pattern, {t: tuple((f, t) for f in sorted(fs)) for t, fs in concepts.items()}

    def analyze(self, text: object) -> list[tuple[str, str]]:
        """``(feature, surface)`` pairs for the content words of ``text``, in text order."""
        sudachi = self._sudachi()
        lookup = self.lexicon.get
        out: list[tuple[str, str]] = []
        cleaned = clean_text(text)
        for piece in chunks(cleaned):
            morphemes = sudachi.tokenizer.tokenize(_protect_spaces(piece))
            # One call returns every surface, space-separated; spaces inside the text were
            # made ideographic above, so the split lines up with the morphemes.
            surfaces = str(morphemes).split(" ")
            if len(surfaces) != len(morphemes):
                surfaces = [m.surface() for m in morphemes]
            found = list(map(lookup, surfaces))
            if None in found:  # ambiguous or unseen surfaces: ask about those in context
                for k in [k for k, pairs in enumerate(found) if pairs is None]:
                    found[k] = self._in_context(sudachi, morphemes[k])
            out.extend(chain.from_iterable(found))
        pattern, expansions = sudachi.thesaurus
        if pattern is not None:
            for hit in pattern.finditer(cleaned):
                out.extend(expansions[hit.group(0)])
        return out

    def _in_context(self, sudachi, m) -> tuple[tuple[str, str], ...]:
        pairs = sudachi.cache.get(m.word_id())
        return pairs if pairs is not None else self._pairs(sudachi, m)

    def features(self, text: object) -> list[str]:
        """The features of ``text`` (what the vectoriser counts)."""
        return [f for f, _ in self.analyze(text)]

    __call__ = features

    def _pairs(self, sudachi, m) -> tuple[tuple[str, str], ...]:
        """Features of one morpheme with its surface; cached unless it is out of vocabulary."""
        pos_id = m.part_of_speech_id()
        keep = sudachi.pos_ok.get(pos_id)
        if keep is None:
            pos = m.part_of_speech()
            keep = pos[0] in _KEEP_POS and pos[1] not in _DROP_SUB_POS
            sudachi.pos_ok[pos_id] = keep
        if m.is_oov():
            # Unknown words share word ids, so they are cached by surface and POS instead.
            key = (m.surface(), pos_id)
            pairs = sudachi.oov_cache.get(key)
            if pairs is None:
                feats = _word_features(m.normalized_form(), (), ()) if keep else ()
                pairs = sudachi.oov_cache[key] = tuple((f, key[0]) for f in feats)
            return pairs
        feats: tuple[str, ...] = ()
        if keep:
            subwords: tuple[str, ...] = ()
            if self.settings.subwords:
                parts = m.split(sudachi.split_a)
                if len(parts) > 1:
                    subwords = tuple(
                        p.normalized_form() for p in parts if p.part_of_speech()[0] in _KEEP_POS
                    )
            groups: tuple[int, ...] = ()
            if self.settings.synonyms:
                ids = m.synonym_group_ids()
                if 0 < len(ids) <= self.settings.max_synonym_groups:
                    groups = tuple(ids)
            feats = _word_features(m.normalized_form(), subwords, groups)
        surface = m.surface()
        pairs = tuple((f, surface) for f in feats)
        sudachi.cache[m.word_id()] = pairs
        return pairs


def _word_features(
    norm: str, subwords: tuple[str, ...], groups: tuple[int, ...]
) -> tuple[str, ...]:
    norm = norm.lower()
    if norm in STOP_WORDS or (len(norm) == 1 and not norm.isalnum()) or not squeeze(norm):
        return ()
    feats = [f"w:{norm}"]
    feats += [f"a:{s.lower()}" for s in subwords if s not in STOP_WORDS and s.lower() != norm]
    feats += [f"s:{g}" for g in groups]
    return tuple(feats)
