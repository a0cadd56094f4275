"""A queue that learns: a model of the editor's own decisions, blended with the rules.

`brief relevance train` fits scikit-learn on what the editor accepted or shortlisted against
what they rejected. Beside the words (TF-IDF over words and word pairs, and over character
n-grams, which catch word forms and names in any script) it reads what the rules already
know of each story: the phrases that scored it, the companies it is about or names, its
source, and the rules' score itself. Those facts recur across stories unlike the ones
decided, so a few dozen decisions move the ranking of stories never seen; words alone
would not.

It is judged as it is used, forward in time: fitted on the decisions about the older
stories, measured on the later ones, with a bootstrap interval around each average
precision. It is switched on only when the blend ranks the later decisions better than the
rules alone by MIN_GAIN; it is then refitted on every decision and saved under `data/`.
Triage ranks by `(1 - w) * rules + w * model`, with `w` = `model` in `[ranking]` of
`relevance.toml`, and `brief triage --explain ID` shows what moved a story most.

The model only reorders what the rules let in: stories the rules' filters exclude are never
stored, so no model can bring them back. Its scores are cached per story in the store, so a
triage of 10,000 stories computes only the new ones.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from brief.ground.errors import BriefError
from scrapers.records import Candidate, Story
from scrapers.relevance import blend
from scrapers.storage import Store, StoryQuery

MODEL_FILE = "relevance-model.joblib"
FORMAT = 2  # what the saved file holds; a file of another format is trained again
MIN_DECISIONS = 20
MIN_EACH = 5
HELD_OUT = 0.25  # the later share of the decisions the model is measured on
MIN_GAIN = 0.02  # average precision the blend must add to the rules' to be switched on
SEED = 7
BOOTSTRAP = 1000
MEANINGFUL_HELD_OUT = 20  # held-out decisions below which average precision is mostly noise


@dataclass(frozen=True)
class Example:
    """One story as the model reads it: its words and what the rules know of it."""

    title: str
    summary: str
    rules: float
    signals: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    about: tuple[str, ...] = ()
    source: str = ""
    published: datetime | None = None
    label: int = 0  # 1: accepted or shortlisted; 0: rejected

    @classmethod
    def of(cls, story: Candidate, label: int = 0) -> Example:
        return cls(
            story.title, story.summary_text, story.score, story.signals, story.entities,
            story.about, story.publisher, story.published, label,
        )  # fmt: skip


def story_text(title: str, summary: str) -> str:
    return f"{title}\n{title}\n{summary}"  # the title twice: it says most


def facts(example: Example) -> dict[str, float]:
    """What the rules know of a story, as named features: each phrase that scored it (in
    title or text alike), each company it is about or names, its source, and the score."""
    found = {"rules score": example.rules * 3}
    for signal in example.signals:
        phrase = _PHRASE.search(signal)  # "+2.00 title has 'live shopping'"
        if phrase:
            found[f"rule {phrase[0]}"] = 1.0
    found.update({f"about {name}": 1.0 for name in example.about})
    found.update({f"names {name}": 1.0 for name in example.entities if name not in example.about})
    if example.source:
        found[f"source {example.source}"] = 1.0
    return found


_PHRASE = re.compile(r"(['\"]).*\1$")


def _texts(examples: Sequence[Example]) -> list[str]:
    return [story_text(e.title, e.summary) for e in examples]


def _facts(examples: Sequence[Example]) -> list[dict[str, float]]:
    return [facts(e) for e in examples]


def _pipeline() -> Any:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer

    def on_texts(vectorizer: Any) -> Any:
        return Pipeline([("texts", FunctionTransformer(_texts)), ("tfidf", vectorizer)])

    features = FeatureUnion(
        [
            ("words", on_texts(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True))),
            (
                "chars",
                on_texts(
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
                ),
            ),
            (
                "facts",
                Pipeline([("facts", FunctionTransformer(_facts)), ("dict", DictVectorizer())]),
            ),
        ]
    )
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000)
    return Pipeline([("features", features), ("model", model)])


def fit(examples: Sequence[Example]) -> Any:
    """A fitted pipeline: `predict_proba(examples)` scores stories."""
    pipeline = _pipeline()
    pipeline.fit(list(examples), [e.label for e in examples])
    return pipeline


@dataclass(frozen=True)
class Measure:
    """An average precision on the held-out decisions, with its 95% bootstrap interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} ({self.low:.2f}-{self.high:.2f})"


def average_precision(labels: Sequence[int], scores: Sequence[float]) -> float:
    """scikit-learn's average precision (ties at one threshold step together), in numpy:
    the bootstrap computes it thousands of times."""
    import numpy as np

    y, s = np.asarray(labels, dtype=float), np.asarray(scores, dtype=float)
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    steps = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    kept = np.cumsum(y)[steps]
    if kept[-1] == 0:
        return 0.0
    precision = kept / (steps + 1)
    recall = kept / kept[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def measured(labels: Sequence[int], *rankings: Sequence[float]) -> list[Measure]:
    """Each ranking's average precision on `labels`, with a 95% interval from resampling
    the decisions (the same resamples for every ranking, so they compare)."""
    rng = random.Random(SEED)
    count = len(labels)
    samples: list[list[float]] = [[] for _ in rankings]
    for _ in range(BOOTSTRAP):
        picks = [rng.randrange(count) for _ in range(count)]
        chosen = [labels[i] for i in picks]
        if 0 < sum(chosen) < count:
            for found, ranking in zip(samples, rankings, strict=True):
                found.append(average_precision(chosen, [ranking[i] for i in picks]))
    result = []
    for found, ranking in zip(samples, rankings, strict=True):
        found.sort()
        low = found[int(0.025 * len(found))] if found else math.nan
        high = found[int(0.975 * len(found)) - 1] if found else math.nan
        result.append(Measure(average_precision(labels, ranking), low, high))
    return result


@dataclass(frozen=True)
class TrainingReport:
    decisions: int
    positives: int
    trained_on: int  # the older decisions the measured model learned from
    held_out: int  # the later ones it was measured on
    since: datetime | None  # the first held-out story's date
    rules: Measure
    model: Measure
    blend: Measure
    weight: float
    seconds: float
    path: Path
    saved: bool = True  # switched on: written where triage reads it
    held_out_positives: int = 0

    @property
    def gain(self) -> float:
        return self.blend.value - self.rules.value

    @property
    def better(self) -> bool:
        """Whether the blend ranked the later decisions better than the rules by MIN_GAIN."""
        return self.gain >= MIN_GAIN - 1e-9

    @property
    def too_small(self) -> bool:
        """Whether the held-out split is too small for its figures to mean much."""
        kinds = min(self.held_out_positives, self.held_out - self.held_out_positives)
        return self.held_out < MEANINGFUL_HELD_OUT or kinds < MIN_EACH


class OutdatedModel(BriefError):
    """A model file an older version of brief wrote: its features are not today's."""


class NotEnoughDecisions(BriefError):
    """Too few decisions, or too few of one kind, to learn from."""


def forward_split(data: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """The decisions about older stories, and about the later ones (HELD_OUT of them, more
    if that is what it takes to hold MIN_EACH of each kind, at most half)."""
    ordered = sorted(data, key=lambda e: (e.published is None, e.published or datetime.min))
    cut = len(ordered) - max(1, round(len(ordered) * HELD_OUT))
    while cut > len(ordered) // 2:
        later = [e.label for e in ordered[cut:]]
        if min(sum(later), len(later) - sum(later)) >= MIN_EACH:
            break
        cut -= 1
    return ordered[:cut], ordered[cut:]


def train(store: Store, folder: Path, weight: float, force: bool = False) -> TrainingReport:
    """Fit on the older decisions, measure on the later ones, refit on every decision,
    save; the report says how it went.

    A model whose blend does not rank the later decisions better than the rules alone (by
    MIN_GAIN) is not switched on (nothing is written, the previous model or the rules
    stay) unless `force`."""
    import joblib

    data = [Example.of(story, label) for story, label in store.stories.decided()]
    positives = sum(e.label for e in data)
    negatives = len(data) - positives
    if len(data) < MIN_DECISIONS or min(positives, negatives) < MIN_EACH:
        raise NotEnoughDecisions(
            f"not enough decisions to learn from yet: {positives} accepted or shortlisted and"
            f" {negatives} rejected; it takes at least {MIN_DECISIONS} in all, {MIN_EACH} of"
            " each. Keep triaging (brief triage -i) and train again."
        )
    started = time.perf_counter()
    older, later = forward_split(data)
    labels = [e.label for e in later]
    if min(sum(labels), len(labels) - sum(labels)) == 0 or len({e.label for e in older}) < 2:
        raise NotEnoughDecisions(
            "the decisions about the older stories, or about the later ones, are all of one"
            " kind (all kept or all rejected), so a model cannot be measured forward in time"
            " yet. Keep triaging (brief triage -i) and train again."
        )
    model_scores = fit(older).predict_proba(later)[:, 1]
    rules = [e.rules for e in later]
    blended = [blend(r, m, weight) for r, m in zip(rules, model_scores, strict=True)]
    ap_rules, ap_model, ap_blend = measured(labels, rules, list(model_scores), blended)
    path = folder / MODEL_FILE
    result = TrainingReport(
        decisions=len(data), positives=positives, trained_on=len(older), held_out=len(later),
        since=later[0].published, rules=ap_rules, model=ap_model, blend=ap_blend, weight=weight,
        seconds=time.perf_counter() - started, path=path, saved=False,
        held_out_positives=sum(labels),
    )  # fmt: skip
    if not result.better and not force:
        return result
    final = fit(data)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    joblib.dump({"format": FORMAT, "pipeline": final, "decisions": len(data)}, temporary)
    temporary.replace(path)
    # Score the waiting queue now, so the next triage reads every score from the cache.
    model = RelevanceModel.load(folder)
    if model is not None:
        model.scores(store, list(store.stories.find(StoryQuery(("new",)))))
    return replace(result, saved=True, seconds=time.perf_counter() - started)


@dataclass(frozen=True)
class Push:
    """A feature that moved a story's model score: its name and its share of the log-odds."""

    feature: str
    weight: float


class RelevanceModel:
    """A trained model, and the store's cache of its scores."""

    def __init__(self, pipeline: Any, model_id: str):
        self._pipeline = pipeline
        self.id = model_id

    @classmethod
    def load(cls, folder: Path) -> RelevanceModel | None:
        """The model under `folder`, or None before the first `brief relevance train`.

        The file is ours (written by train, in `data/` like the store): loading it runs
        pickled code, so it is never taken from anywhere else."""
        import joblib

        path = folder / MODEL_FILE
        if not path.is_file():
            return None
        raw = path.read_bytes()
        try:
            saved = joblib.load(io.BytesIO(raw))
        except Exception as err:  # a damaged or foreign file: say so, and which
            raise BriefError(
                f"{path}: cannot read the relevance model ({err}); delete it or train again"
            ) from err
        if not isinstance(saved, dict) or saved.get("format") != FORMAT:
            raise OutdatedModel(
                f"{path} is a relevance model from an older version of brief: the queue is"
                " ranked by the rules alone until `brief relevance train` runs again"
            )
        return cls(saved["pipeline"], hashlib.sha256(raw).hexdigest()[:16])

    def scores(self, store: Store, stories: Sequence[Story]) -> list[float]:
        """The model's score of each story: cached ones from the store, the rest computed
        (in one batch) and cached."""
        ids = [s.id for s in stories]
        known = store.stories.model_scores(ids, self.id)
        missing = [s for s in stories if s.id not in known]
        if missing:
            fresh = self._pipeline.predict_proba([Example.of(s) for s in missing])[:, 1]
            pairs = [(s.id, float(p)) for s, p in zip(missing, fresh, strict=True)]
            with store.transaction():
                store.stories.save_model_scores(self.id, pairs)
            known.update(dict(pairs))
        return [round(known[i], 4) for i in ids]

    def scores_of(self, store: Store, ids: Sequence[int]) -> list[float]:
        """`scores` by id: only the stories not scored yet are read whole."""
        known = store.stories.model_scores(ids, self.id)
        missing = [i for i in ids if i not in known]
        if missing:
            fresh = self.scores(store, store.stories.by_ids(missing))
            known.update(zip(missing, fresh, strict=True))
        return [round(known[i], 4) for i in ids]

    def pushes(self, story: Candidate, count: int = 8) -> list[Push]:
        """The features that moved this story's score most, either way (`--explain`)."""
        union = self._pipeline.named_steps["features"]
        coefficients = self._pipeline.named_steps["model"].coef_[0]
        vector = union.transform([Example.of(story)]).tocsr()
        names: list[str] = []
        for part, transformer in union.transformer_list:
            vocabulary = transformer[-1].get_feature_names_out()
            names += [f"{_PART[part]} {name!r}" if part != "facts" else name for name in vocabulary]
        pushes = [
            Push(names[i], float(value * coefficients[i]))
            for i, value in zip(vector.indices, vector.data, strict=True)
        ]
        pushes.sort(key=lambda p: -abs(p.weight))
        return pushes[:count]


_PART = {"words": "words", "chars": "letters"}


def current_model(folder: Path) -> bool:
    """Whether triage ranks with a model from `folder` (one of today's format)."""
    try:
        return RelevanceModel.load(folder) is not None
    except OutdatedModel:
        return False
