"""A queue that learns: a model of the editor's own decisions, blended with the rules.

`brief relevance train` fits scikit-learn on what the editor accepted or shortlisted against
what they rejected: TF-IDF over words (and word pairs) and over character n-grams (which
catch word forms and names in any script), then a logistic regression. It reports average
precision on a held-out quarter of the decisions for the rules alone, the model alone and
their blend, then refits on all of them and saves the model under `data/`. Triage then
ranks by `(1 - w) * rules + w * model`, with `w` = `model` in `[ranking]` of
`relevance.toml`.

The model only reorders what the rules let in: stories the rules' filters exclude are never
stored, so no model can bring them back. Its scores are cached per story in the store, so a
triage of 10,000 stories computes only the new ones.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from brief.ground.errors import BriefError
from scrapers.records import Story
from scrapers.storage import Store, StoryQuery

MODEL_FILE = "relevance-model.joblib"
MIN_DECISIONS = 20
MIN_EACH = 5
HELD_OUT = 0.25
SEED = 7
MEANINGFUL_HELD_OUT = 20  # held-out decisions below which average precision is mostly noise


@dataclass(frozen=True)
class Example:
    text: str
    rules: float
    label: int  # 1: accepted or shortlisted; 0: rejected


@dataclass(frozen=True)
class TrainingReport:
    decisions: int
    positives: int
    held_out: int
    ap_rules: float
    ap_model: float
    ap_blend: float
    weight: float
    seconds: float
    path: Path
    saved: bool = True  # switched on: written where triage reads it
    held_out_positives: int = 0

    @property
    def better(self) -> bool:
        """Whether the blend ranked the held-out decisions at least as well as the rules."""
        return self.ap_blend >= self.ap_rules

    @property
    def too_small(self) -> bool:
        """Whether the held-out split is too small for its figures to mean much."""
        kinds = min(self.held_out_positives, self.held_out - self.held_out_positives)
        return self.held_out < MEANINGFUL_HELD_OUT or kinds < MIN_EACH


class NotEnoughDecisions(BriefError):
    """Too few decisions, or too few of one kind, to learn from."""


def story_text(title: str, summary: str) -> str:
    return f"{title}\n{title}\n{summary}"  # the title twice: it says most


def examples(store: Store) -> list[Example]:
    """Every decided story: accepted or shortlisted (1) against rejected (0)."""
    return [
        Example(story_text(title, summary), score, label)
        for title, summary, score, label in store.stories.decided()
    ]


def _pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1
                ),
            ),
        ]
    )
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
    return Pipeline([("features", features), ("model", model)])


def train(store: Store, folder: Path, weight: float, force: bool = False) -> TrainingReport:
    """Fit, measure on a held-out split, refit on everything, save; the report says how.

    A model whose blend ranks the held-out decisions worse than the rules alone is not
    switched on (nothing is written, the previous model or the rules stay) unless `force`."""
    import joblib
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import train_test_split

    data = examples(store)
    positives = sum(e.label for e in data)
    negatives = len(data) - positives
    if len(data) < MIN_DECISIONS or min(positives, negatives) < MIN_EACH:
        raise NotEnoughDecisions(
            f"not enough decisions to learn from yet: {positives} accepted or shortlisted and"
            f" {negatives} rejected; it takes at least {MIN_DECISIONS} in all, {MIN_EACH} of"
            " each. Keep triaging (brief triage -i) and train again."
        )
    started = time.perf_counter()
    train_set, test_set = train_test_split(
        data, test_size=HELD_OUT, random_state=SEED, stratify=[e.label for e in data]
    )
    pipeline = _pipeline()
    pipeline.fit([e.text for e in train_set], [e.label for e in train_set])
    labels = [e.label for e in test_set]
    model = pipeline.predict_proba([e.text for e in test_set])[:, 1]
    rules = [e.rules for e in test_set]
    blend = [(1 - weight) * r + weight * m for r, m in zip(rules, model, strict=True)]
    report = dict(
        ap_rules=float(average_precision_score(labels, rules)),
        ap_model=float(average_precision_score(labels, model)),
        ap_blend=float(average_precision_score(labels, blend)),
    )
    path = folder / MODEL_FILE
    result = TrainingReport(
        decisions=len(data),
        positives=positives,
        held_out=len(test_set),
        weight=weight,
        seconds=time.perf_counter() - started,
        path=path,
        saved=False,
        held_out_positives=sum(labels),
        **report,
    )
    if not result.better and not force:
        return result
    final = _pipeline()
    final.fit([e.text for e in data], [e.label for e in data])
    folder.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    joblib.dump({"pipeline": final, "decisions": len(data)}, temporary)
    temporary.replace(path)
    # Score the waiting queue now, so the next triage reads every score from the cache.
    model = RelevanceModel.load(folder)
    if model is not None:
        model.scores(store, list(store.stories.find(StoryQuery(("new",)))))
    return replace(result, saved=True, seconds=time.perf_counter() - started)


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
        return cls(saved["pipeline"], hashlib.sha256(raw).hexdigest()[:16])

    def scores(self, store: Store, stories: Sequence[Story]) -> list[float]:
        """The model's score of each story: cached ones from the store, the rest computed
        (in one batch) and cached."""
        ids = [s.id for s in stories]
        known = store.stories.model_scores(ids, self.id)
        missing = [s for s in stories if s.id not in known]
        if missing:
            texts = [story_text(s.title, s.summary_text) for s in missing]
            fresh = self._pipeline.predict_proba(texts)[:, 1]
            pairs = [(s.id, float(p)) for s, p in zip(missing, fresh, strict=True)]
            with store.transaction():
                store.stories.save_model_scores(self.id, pairs)
            known.update(dict(pairs))
        return [round(known[i], 4) for i in ids]
