//! The best hits of a query, leaving out the paragraphs another query matches, with
//! tantivy's pruning kept.
//!
//! An exclusion written into the query (`must not`) turns tantivy's scorer into a general
//! one that scores every match: block-max WAND only runs over plain unions and
//! intersections of terms. `合同 -劳动` on prc-laws scored its 4,756 matches to return ten.
//! Here the query runs as it would without the exclusion, pruned, and each hit it offers is
//! checked against the excluded query's matches before it may count: the pruning threshold
//! only rises with hits kept, so the top hits are exactly those of the query with the
//! exclusion.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{Scorer, Weight};
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentReader};

/// The best `limit` hits by score whose documents `exclude` does not match. Ties go to the
/// earlier document, as with tantivy's `TopDocs`.
pub(crate) struct TopExcluding<'a> {
    pub limit: usize,
    /// A weight built without scoring: only which documents it matches counts.
    pub exclude: &'a dyn Weight,
}

impl Collector for TopExcluding<'_> {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = SegmentTop;

    fn for_segment(&self, segment_ord: u32, reader: &SegmentReader) -> tantivy::Result<SegmentTop> {
        Ok(SegmentTop {
            segment_ord,
            top: TopK::new(self.limit),
            exclude: self.exclude.scorer(reader, 1.0)?,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(Score, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        all.truncate(self.limit);
        Ok(all)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Fruit> {
        let mut top = self.for_segment(segment_ord, reader)?;
        let alive = reader.alive_bitset();
        weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                top.collect(doc, score);
            }
            top.threshold()
        })?;
        Ok(top.harvest())
    }
}

/// One segment's best hits so far, less the excluded.
pub(crate) struct SegmentTop {
    segment_ord: u32,
    top: TopK,
    exclude: Box<dyn Scorer>,
}

impl SegmentTop {
    /// The score a hit must beat to be kept.
    fn threshold(&self) -> Score {
        self.top.threshold().unwrap_or(Score::MIN)
    }

    /// Whether `exclude` matches `doc`. Documents come in increasing order, so the
    /// excluded scorer only ever moves forward.
    fn excluded(&mut self, doc: DocId) -> bool {
        if self.exclude.doc() < doc {
            self.exclude.seek(doc);
        }
        self.exclude.doc() == doc
    }
}

impl SegmentCollector for SegmentTop {
    type Fruit = Vec<(Score, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if !self.top.would_keep(score) || self.excluded(doc) {
            return;
        }
        self.top
            .offer(score, DocAddress::new(self.segment_ord, doc));
    }

    fn harvest(self) -> Self::Fruit {
        self.top.into_sorted()
    }
}

/// The best `limit` hits offered, in the order they were offered: a hit is kept when it
/// scores more than the worst kept one (so among equal scores the earlier offered, as
/// tantivy's `TopDocs` keeps the earlier document).
pub(crate) struct TopK {
    limit: usize,
    /// The worst kept hit on top.
    heap: BinaryHeap<Reverse<Ranked>>,
}

impl TopK {
    pub(crate) fn new(limit: usize) -> TopK {
        TopK {
            limit,
            heap: BinaryHeap::with_capacity(limit),
        }
    }

    /// The score a hit must beat to be kept, once `limit` hits are kept.
    pub(crate) fn threshold(&self) -> Option<Score> {
        match self.heap.peek() {
            Some(Reverse(worst)) if self.heap.len() >= self.limit => Some(worst.score),
            _ => None,
        }
    }

    /// Whether a hit scoring `score` would be kept now.
    pub(crate) fn would_keep(&self, score: Score) -> bool {
        self.limit > 0 && self.threshold().is_none_or(|threshold| score > threshold)
    }

    /// Keeps the hit if it is among the best so far.
    pub(crate) fn offer(&mut self, score: Score, address: DocAddress) {
        if !self.would_keep(score) {
            return;
        }
        if self.heap.len() >= self.limit {
            self.heap.pop();
        }
        self.heap.push(Reverse(Ranked { score, address }));
    }

    /// The kept hits, best first.
    pub(crate) fn into_sorted(self) -> Vec<(Score, DocAddress)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Reverse(r)| (r.score, r.address))
            .collect()
    }
}

/// A hit ordered by score, and among equal scores the earlier document first (greater).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ranked {
    score: Score,
    address: DocAddress,
}

impl Eq for Ranked {}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.address.cmp(&self.address))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
