"""Sudachi tokenisation into content-word features.

The tokenizer object stores only its settings and its frozen lexicon. The Sudachi
dictionary and tokenizer are built lazily, once per thread (a Sudachi Tokenizer is not
thread-safe) and never saved (Sudachi objects cannot be): a saved model holds the settings,
and each process that loads it builds its own Sudachi object.

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

Prediction goes through :meth:`JapaneseTokenizer.analyze_batch`, which returns a whole
chunk's features as flat lists (:class:`FeatureBatch`). Tokenising is most of the cost,
so the rest is kept to a few C-level calls per text: one call reads every surface back,
a frozen surface → features table answers for words seen in training (only ambiguous or
unseen ones are asked about morpheme by morpheme), and thesaurus terms are found by an
Aho-Corasick automaton.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, pairwise

# Sudachi, its dictionary and daachorse are imported with the package, never on first use:
# an import made later is looked up in the working folder of that moment (a REPL, python -c
# and Jupyter put it on the path), which may by then be a model folder someone sent, with a
# package of the same name in it. Sudachi finds its dictionary by importing
# sudachidict_core, and takes the module imported here.
import daachorse
import numpy as np
import sudachidict_core  # type: ignore[import-untyped]  # noqa: F401  (see above)
from sudachipy import Config, Dictionary, SplitMode

from .textutil import chunks, clean_text, document_text, split_sentences, squeeze

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


def _protect_spaces(text: str) -> str:
    # An ASCII space becomes U+3000: Sudachi treats both as blank, and then the
    # space-joined string of surfaces can be split back without ambiguity.
    return text.replace(" ", "\u3000") if " " in text else text


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
    # (Out of the repr: its 200 pairs would fill a notebook cell showing the model.)
    thesaurus: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    # Two of Sudachi's default plugins, each off unless a model saved before its setting
    # existed asks for it (see README, Features). JoinNumericPlugin joins digits into one
    # numeral: numerals are dropped as features (数詞), so joining changes no feature
    # (checked on every text in corpus/) and costs a fifth of tokenising the review sheets.
    join_numerals: bool = False
    # IgnoreYomiganaPlugin takes bracketed kana of up to four characters after a kanji for
    # its reading and drops them into the kanji word; government text puts short names and
    # glosses there (日本貿易振興機構（ジェトロ）, 遠隔（リモート）), which were lost. Off, 22 of
    # 3,784 texts under corpus/ gain such a word, and tokenising the review sheets is 8%
    # faster.
    ignore_yomigana: bool = False


# The settings that switch one of Sudachi's default plugins, and the plugin each names.
SUDACHI_PLUGINS = {
    "join_numerals": "com.worksap.nlp.sudachi.JoinNumericPlugin",
    "ignore_yomigana": "com.worksap.nlp.sudachi.IgnoreYomiganaPlugin",
}


def sudachi_config(settings: TokenizerSettings) -> Config | None:
    """The Sudachi configuration for ``settings``: the installed SudachiPy's defaults, less
    the default plugins the settings turn off (None: the defaults as they are)."""
    off = {plugin for name, plugin in SUDACHI_PLUGINS.items() if not getattr(settings, name)}
    if not off:
        return None
    import json
    from importlib.resources import files

    defaults = json.loads(files("sudachipy").joinpath("resources/sudachi.json").read_text("utf-8"))
    kept = {
        kind: [p for p in defaults.get(kind, []) if p.get("class") not in off]
        for kind in ("inputTextPlugin", "pathRewritePlugin")
    }
    return Config(**kept)


@dataclass(frozen=True)
class FeatureBatch:
    """The features of a batch of texts, flattened in text order, and their sentences.

    Flat lists and offsets rather than a list per text: the model turns them into
    vectors with a few array operations for the whole batch. The sentences (cleaned) are
    kept for what is decided sentence by sentence: scope evidence and the evidence
    sentence.
    """

    features: list[str]  # every feature of every text, text by text
    offsets: np.ndarray  # (n + 1,): text i's features are features[offsets[i]:offsets[i + 1]]
    sources: np.ndarray  # (n_features,): index in ``surfaces`` of the words behind each
    surfaces: list[str]  # the words as written: Sudachi's tokens and thesaurus matches
    sentences: list[str]  # every sentence of every text (cleaned), in order
    sentence_offsets: np.ndarray  # (n + 1,): text i's sentences: [sentence_offsets[i], …[i+1])

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def rows(self) -> np.ndarray:
        """The text each feature belongs to."""
        return np.repeat(np.arange(len(self)), np.diff(self.offsets))

    def sentence_text(self) -> np.ndarray:
        """The text each sentence belongs to."""
        return np.repeat(np.arange(len(self)), np.diff(self.sentence_offsets))

    def text_lengths(self) -> np.ndarray:
        """Each text's length: the characters of its sentences (``textutil.text_length``)."""
        sizes = np.fromiter(map(len, self.sentences), dtype=float, count=len(self.sentences))
        return np.bincount(self.sentence_text(), weights=sizes, minlength=len(self))

    def text_sentences(self, i: int) -> list[str]:
        """The sentences of text ``i``."""
        return self.sentences[self.sentence_offsets[i] : self.sentence_offsets[i + 1]]

    def docs(self) -> list[list[str]]:
        """The features of each text, as one list per text."""
        bounds = self.offsets.tolist()
        return [self.features[a:b] for a, b in pairwise(bounds)]

    def pairs(self, i: int) -> list[tuple[str, str]]:
        """``(feature, surface)`` of text ``i``, in text order."""
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        surfaces = self.surfaces
        return [
            (f, surfaces[k])
            for f, k in zip(self.features[a:b], self.sources[a:b].tolist(), strict=True)
        ]


class JapaneseTokenizer:
    """Text → content-word features, with Sudachi built lazily per thread."""

    def __init__(self, settings: TokenizerSettings | None = None) -> None:
        self.settings = settings or TokenizerSettings()
        self.lexicon: dict[str, tuple[tuple[str, str], ...]] = {}
        self._local = threading.local()

    def __getstate__(self) -> dict:
        # Sudachi objects cannot be pickled, and are per thread: settings and lexicon go,
        # and each process builds its own tokenizer again on first use.
        return {"settings": self.settings, "lexicon": self.lexicon}

    def __setstate__(self, state: dict) -> None:
        self.settings, self.lexicon = state["settings"], state["lexicon"]
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
        # The stored pairs name the surface a dictionary word was first met with.
        first_surface: dict[int, str] = {}
        seen: dict[str, set[tuple[tuple[str, str], ...]]] = {}
        for text in texts:
            for piece in chunks(document_text(text)):
                for m in sudachi.tokenizer.tokenize(_protect_spaces(piece)):
                    surface = m.surface()
                    feats = self._in_context(sudachi, m)
                    if not m.is_oov():
                        surface_of_id = first_surface.setdefault(m.word_id(), surface)
                    else:
                        surface_of_id = surface
                    seen.setdefault(surface, set()).add(tuple((f, surface_of_id) for f in feats))
        self.lexicon = {s: next(iter(p)) for s, p in sorted(seen.items()) if len(p) == 1}
        self._local = threading.local()  # the per-thread lookup table derives from it

    def _sudachi(self):
        local = self._local
        if getattr(local, "tokenizer", None) is None:
            local.dictionary = Dictionary(
                dict=self.settings.dictionary, config=sudachi_config(self.settings)
            )
            # Only the fields features are made of are loaded (Sudachi's subsetting):
            # reading and dictionary forms would cost time and are never used.
            fields = {"pos", "normalized_form"}
            if self.settings.subwords:
                fields.add("split_a")
            if self.settings.synonyms:
                fields.add("synonym_group_id")
            local.tokenizer = local.dictionary.tokenizer(
                getattr(SplitMode, self.settings.mode), fields=fields
            )
            local.split_a = SplitMode.A
            local.lexicon = {s: tuple(f for f, _ in pairs) for s, pairs in self.lexicon.items()}
            local.cache = {}  # word_id -> features of that dictionary word
            local.pos_ok = {}  # part-of-speech id -> keep?
            local.oov_cache = {}  # (surface, part-of-speech id) -> features of an unknown word
            local.thesaurus = self._compile_thesaurus()
        return local

    def _compile_thesaurus(self):
        """A leftmost-longest matcher over every term and concept name (as a regex alternation
        would match them, several times faster), and the concept features of each term."""
        if not self.settings.thesaurus:
            return None, [], ()
        concepts: dict[str, set[str]] = {}
        for term, concept in self.settings.thesaurus:
            for surface in (clean_text(term), clean_text(concept)):
                if surface:
                    concepts.setdefault(surface, set()).add(f"t:{clean_text(concept)}")
        terms = sorted(concepts)
        if not terms:
            return None, [], ()
        matcher = daachorse.CharwiseDoubleArrayAhoCorasick(
            terms, match_kind=daachorse.MATCH_KIND_LEFTMOST_LONGEST
        )
        return matcher, terms, tuple(tuple(sorted(concepts[t])) for t in terms)

    def analyze_batch(self, texts: Sequence[object]) -> FeatureBatch:
        """The features of every text, with the words behind them and the text's sentences
        (see :class:`FeatureBatch`). A text is tokenised whole (in ≤ 4 KB pieces cut at
        sentence ends); a line break, such as a field boundary, never joins two words."""
        sudachi = self._sudachi()
        tokenize = sudachi.tokenizer.tokenize
        lookup = sudachi.lexicon.get
        matcher, terms, expansions = sudachi.thesaurus
        surfaces: list[str] = []
        found: list[tuple[str, ...]] = []  # features of each entry of ``surfaces``
        ends: list[int] = []
        sentences: list[str] = []
        per_text: list[int] = [0]
        for text in texts:
            cleaned = document_text(text)
            for piece in chunks(cleaned):
                # A new morpheme list per piece: refilling one (``out=``) measured 4-6% slower
                # on the review sheets with the pinned SudachiPy.
                morphemes = tokenize(_protect_spaces(piece))
                # One call returns every surface, space-separated; spaces inside the text
                # were made ideographic above, so the split lines up with the morphemes.
                words = str(morphemes).split(" ")
                if len(words) != len(morphemes):
                    words = [m.surface() for m in morphemes]
                feats = list(map(lookup, words))
                unknown = feats.count(None)
                k = -1
                for _ in range(unknown):  # ambiguous or unseen surfaces: ask in context
                    k = feats.index(None, k + 1)
                    feats[k] = self._in_context(sudachi, morphemes[k])
                # Only morphemes with features are kept (most are particles and
                # punctuation): ``sources`` needs no other surface, and the batch halves.
                surfaces += compress(words, feats)
                found += filter(None, feats)
            hits = matcher.find(cleaned) if matcher is not None and cleaned else None
            if hits:
                surfaces += [terms[k] for _, _, k in hits]
                found += [expansions[k] for _, _, k in hits]
            ends.append(len(found))
            sentences += split_sentences(cleaned)
            per_text.append(len(sentences))
        lengths = np.fromiter(map(len, found), dtype=np.intp, count=len(found))
        cumulative = np.concatenate([[0], np.cumsum(lengths)])
        return FeatureBatch(
            features=list(chain.from_iterable(found)),
            offsets=cumulative[np.asarray([0, *ends], dtype=np.intp)],
            sources=np.repeat(np.arange(len(found)), lengths),
            surfaces=surfaces,
            sentences=sentences,
            sentence_offsets=np.asarray(per_text, dtype=np.intp),
        )

    def analyze(self, text: object) -> list[tuple[str, str]]:
        """``(feature, surface)`` pairs for the content words of ``text``, in text order."""
        return self.analyze_batch([text]).pairs(0)

    def features(self, text: object) -> list[str]:
        """The features of ``text`` (what the vectoriser counts)."""
        return self.analyze_batch([text]).features

    def _in_context(self, sudachi, m) -> tuple[str, ...]:
        """Features of one morpheme; cached by dictionary word (unknown words by surface)."""
        if not m.is_oov():
            feats = sudachi.cache.get(m.word_id())
            if feats is None:
                feats = sudachi.cache[m.word_id()] = self._morpheme_features(sudachi, m)
            return feats
        # Unknown words share word ids, so they are cached by surface and POS instead.
        key = (m.surface(), m.part_of_speech_id())
        feats = sudachi.oov_cache.get(key)
        if feats is None:
            feats = sudachi.oov_cache[key] = self._morpheme_features(sudachi, m)
        return feats

    def _morpheme_features(self, sudachi, m) -> tuple[str, ...]:
        pos_id = m.part_of_speech_id()
        keep = sudachi.pos_ok.get(pos_id)
        if keep is None:
            pos = m.part_of_speech()
            keep = pos[0] in _KEEP_POS and pos[1] not in _DROP_SUB_POS
            sudachi.pos_ok[pos_id] = keep
        if not keep:
            return ()
        if m.is_oov():
            return _word_features(m.normalized_form(), (), ())
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
        return _word_features(m.normalized_form(), subwords, groups)


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
