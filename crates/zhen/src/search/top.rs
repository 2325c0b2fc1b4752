//! The best hits of a query, in an order that does not depend on how the index was built,
//! leaving out the paragraphs another query matches, with tantivy's pruning kept.
//!
//! **Ties.** Equal scores rank by each paragraph's tie order (a fast field, see
//! `index::schema::tie_order`: by document, then reading order), not by document address
//! as tantivy's `TopDocs` ranks them: addresses depend on which indexing thread took a
//! document and on the order a searcher lists segments in, so two builds of the same corpus
//! could show the same hits in another order, or another hit at the last rank. Every
//! segment's documents are sorted by their tie order (the index's sort field), so within a
//! segment the earlier document is the lower tie order: a segment's best hits are found as
//! tantivy finds them, pruning as strictly, and tie orders are read for those hits alone,
//! to rank them against other segments'. Only where one ranking spans segments
//! ([`TopK::threshold`]) may a hit scoring exactly the worst kept score from an earlier
//! segment still win, on its tie order.
//!
//! **Exclusions.** An exclusion written into the query (`must not`) turns tantivy's scorer
//! into a general one that scores every match: block-max WAND only runs over plain unions
//! and intersections of terms. `合同 -劳动` on prc-laws scored its 4,756 matches to return
//! ten. Here the query runs as it would without the exclusion, pruned, and each hit it
//! offers is checked against the excluded query's matches before it may count: the pruning
//! threshold only rises with hits kept, so the top hits are exactly those of the query with
//! the exclusion.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{Scorer, Weight};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentReader};

use crate::index::ORDER_FIELD;

/// The tie orders of a searcher's segments, in segment order.
#[derive(Clone)]
pub(crate) struct Orders(Arc<[Column<u64>]>);

impl Orders {
    /// The tie order of document `doc` of segment `segment_ord`.
    pub(crate) fn key(&self, segment_ord: u32, doc: DocId) -> u64 {
        self.0
            .get(segment_ord as usize)
            .and_then(|column| column.first(doc))
            .unwrap_or(u64::MAX)
    }
}

/// A searcher generation's [`Orders`], opened once and shared by searches.
#[derive(Clone, Default)]
pub(crate) struct OrderCache(super::PerGeneration<Orders>);

impl OrderCache {
    /// The tie orders of `searcher`'s segments.
    pub(crate) fn open(&self, searcher: &Searcher) -> tantivy::Result<Orders> {
        self.0.get(searcher, || {
            let columns = searcher
                .segment_readers()
                .iter()
                .map(|segment| segment.fast_fields().u64(ORDER_FIELD))
                .collect::<tantivy::Result<Vec<_>>>()?;
            Ok(Orders(columns.into()))
        })
    }
}

/// A hit with its tie order.
pub(crate) type Ranked = (Score, u64, DocAddress);

/// The best `limit` hits by score and then tie order whose documents `exclude` does not
/// match; with `count`, also how many documents match (all of them are then visited, no
/// pruning).
pub(crate) struct Top<'a> {
    pub limit: usize,
    /// A weight built without scoring: only which documents it matches counts.
    pub exclude: Option<&'a dyn Weight>,
    pub orders: &'a Orders,
    pub count: bool,
}

impl Collector for Top<'_> {
    type Fruit = (Vec<(Score, DocAddress)>, usize);
    type Child = SegmentTop;

    fn for_segment(&self, segment_ord: u32, reader: &SegmentReader) -> tantivy::Result<SegmentTop> {
        let exclude = self
            .exclude
            .map(|exclude| exclude.scorer(reader, 1.0))
            .transpose()?;
        Ok(SegmentTop {
            segment_ord,
            top: SegmentHeap::new(self.limit),
            exclude,
            count: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let count = fruits.iter().map(|(_, n)| n).sum();
        let all = fruits.into_iter().flat_map(|(top, _)| top).collect();
        Ok((merge_segments(all, self.limit, self.orders), count))
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Fruit> {
        let mut top = self.for_segment(segment_ord, reader)?;
        let alive = reader.alive_bitset();
        if self.count {
            weight.for_each(reader, &mut |doc, score| {
                if alive.is_none_or(|alive| alive.is_alive(doc)) {
                    top.count += 1;
                    top.collect(doc, score);
                }
            })?;
        } else {
            weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
                if alive.is_none_or(|alive| alive.is_alive(doc)) {
                    top.collect(doc, score);
                }
                top.top.threshold().unwrap_or(Score::MIN)
            })?;
        }
        Ok(top.harvest())
    }
}

/// The best `limit` of segments' best hits: by score, and equal scores by tie order. Each
/// segment's hits come in its document order, which is its tie order, so tie orders are
/// read only where equal scores among the best come from more than one segment.
fn merge_segments(
    mut all: Vec<(Score, DocAddress)>,
    limit: usize,
    orders: &Orders,
) -> Vec<(Score, DocAddress)> {
    all.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut start = 0;
    while start < all.len().min(limit) {
        let score = all[start].0;
        let end = start + all[start..].partition_point(|hit| hit.0.total_cmp(&score).is_eq());
        let tied = &mut all[start..end];
        if tied
            .iter()
            .any(|hit| hit.1.segment_ord != tied[0].1.segment_ord)
        {
            tied.sort_by_cached_key(|&(_, address)| {
                (orders.key(address.segment_ord, address.doc_id), address)
            });
        }
        start = end;
    }
    all.truncate(limit);
    all
}

/// One segment's best hits so far, less the excluded.
pub(crate) struct SegmentTop {
    segment_ord: u32,
    top: SegmentHeap,
    exclude: Option<Box<dyn Scorer>>,
    count: usize,
}

impl SegmentTop {
    /// Whether `exclude` matches `doc`. Documents come in increasing order, so the
    /// excluded scorer only ever moves forward.
    fn excluded(&mut self, doc: DocId) -> bool {
        let Some(exclude) = self.exclude.as_mut() else {
            return false;
        };
        if exclude.doc() < doc {
            exclude.seek(doc);
        }
        exclude.doc() == doc
    }
}

impl SegmentCollector for SegmentTop {
    type Fruit = (Vec<(Score, DocAddress)>, usize);

    fn collect(&mut self, doc: DocId, score: Score) {
        if self.top.would_keep(score) && !self.excluded(doc) {
            self.top.offer(score, doc);
        }
    }

    fn harvest(self) -> Self::Fruit {
        let segment_ord = self.segment_ord;
        let top = self
            .top
            .into_sorted()
            .into_iter()
            .map(|(score, doc)| (score, DocAddress::new(segment_ord, doc)))
            .collect();
        (top, self.count)
    }
}

/// One segment's best `limit` hits, by score and then document: within a segment, document
/// order is tie order (see the module's doc), so a document stands for its tie order until
/// the hits are harvested, and a later document loses a tie (pruning stays as strict as
/// tantivy's). Each hit is one `u64`, ordered as the hits are: a sift compares integers.
struct SegmentHeap {
    limit: usize,
    /// The worst kept hit on top.
    heap: BinaryHeap<Reverse<u64>>,
}

impl SegmentHeap {
    fn new(limit: usize) -> SegmentHeap {
        SegmentHeap {
            limit,
            heap: BinaryHeap::with_capacity(limit),
        }
    }

    /// The score and document in one integer, greater for the better hit: the score's bits
    /// in the order of `f32::total_cmp`, then the document, reversed.
    fn pack(score: Score, doc: DocId) -> u64 {
        (u64::from(ordered_bits(score)) << 32) | u64::from(!doc)
    }

    fn unpack(packed: u64) -> (Score, DocId) {
        (from_ordered_bits((packed >> 32) as u32), !(packed as u32))
    }

    /// Once `limit` hits are kept, the score a later document must beat.
    fn threshold(&self) -> Option<Score> {
        match self.heap.peek() {
            Some(&Reverse(worst)) if self.heap.len() >= self.limit => Some(Self::unpack(worst).0),
            _ => None,
        }
    }

    fn would_keep(&self, score: Score) -> bool {
        self.limit > 0 && self.threshold().is_none_or(|threshold| score > threshold)
    }

    /// Keeps a hit that [`SegmentHeap::would_keep`] (documents come in increasing order).
    fn offer(&mut self, score: Score, doc: DocId) {
        let entry = Reverse(Self::pack(score, doc));
        if self.heap.len() < self.limit {
            self.heap.push(entry);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            *worst = entry;
        }
    }

    /// The kept hits, best first.
    fn into_sorted(self) -> Vec<(Score, DocId)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Reverse(packed)| Self::unpack(packed))
            .collect()
    }
}

/// `score`'s bits as an unsigned integer ordered as `f32::total_cmp` orders scores.
fn ordered_bits(score: Score) -> u32 {
    let bits = score.to_bits();
    // Negative scores (sign bit set) count down as their magnitude grows: flip them.
    if bits >> 31 == 1 {
        !bits
    } else {
        bits | (1 << 31)
    }
}

fn from_ordered_bits(ordered: u32) -> Score {
    Score::from_bits(if ordered >> 31 == 1 {
        ordered & !(1 << 31)
    } else {
        !ordered
    })
}

/// The best `limit` hits offered, by score and then tie order, from any segment.
pub(crate) struct TopK {
    limit: usize,
    /// The worst kept hit on top.
    heap: BinaryHeap<Reverse<Entry>>,
}

impl TopK {
    pub(crate) fn new(limit: usize) -> TopK {
        TopK {
            limit,
            heap: BinaryHeap::with_capacity(limit),
        }
    }

    fn worst(&self) -> Option<&Entry> {
        match self.heap.peek() {
            Some(Reverse(worst)) if self.heap.len() >= self.limit => Some(worst),
            _ => None,
        }
    }

    /// Once `limit` hits are kept, the score a hit of segment `segment_ord` must beat to be
    /// kept: the worst kept score, or, where the worst kept hit is of an earlier segment,
    /// the largest score below it (a hit scoring as much may win on its tie order; one
    /// after it in its own segment cannot, its tie order being higher).
    pub(crate) fn threshold(&self, segment_ord: u32) -> Option<Score> {
        self.worst().map(|worst| {
            if worst.address.segment_ord == segment_ord {
                worst.score
            } else {
                worst.score.next_down()
            }
        })
    }

    /// Whether the hit would be kept now.
    pub(crate) fn would_keep(&self, score: Score, key: u64, address: DocAddress) -> bool {
        self.limit > 0
            && self.worst().is_none_or(|worst| {
                Entry {
                    score,
                    key,
                    address,
                } > *worst
            })
    }

    /// Keeps the hit if it is among the best so far.
    pub(crate) fn offer(&mut self, score: Score, key: u64, address: DocAddress) {
        if !self.would_keep(score, key, address) {
            return;
        }
        let entry = Reverse(Entry {
            score,
            key,
            address,
        });
        if self.heap.len() < self.limit {
            self.heap.push(entry);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            // Replaced in place: one sift instead of a pop and a push.
            *worst = entry;
        }
    }

    /// The kept hits, best first.
    pub(crate) fn into_sorted(self) -> Vec<Ranked> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Reverse(e)| (e.score, e.key, e.address))
            .collect()
    }
}

/// A kept hit: greater is better (higher score, then lower tie order; then lower address,
/// which only paragraphs of one document at the same ordinal, or a hash collision, need).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    score: Score,
    key: u64,
    address: DocAddress,
}

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.key.cmp(&self.key))
            .then_with(|| other.address.cmp(&self.address))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The best `limit` hits of `query` by the definition: every match scored by tantivy, sorted
/// by score and then tie order, and how many match. What the pruned paths must equal.
#[cfg(test)]
pub(crate) fn reference(
    searcher: &Searcher,
    query: &dyn tantivy::query::Query,
    limit: usize,
) -> (Vec<(Score, DocAddress)>, usize) {
    use tantivy::collector::{Count, TopDocs};
    let every = (searcher.num_docs() as usize).max(1);
    let (mut all, count) = searcher
        .search(query, &(TopDocs::with_limit(every).order_by_score(), Count))
        .expect("the reference search");
    let orders = OrderCache::default().open(searcher).expect("tie orders");
    let key = |address: DocAddress| orders.key(address.segment_ord, address.doc_id);
    all.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| key(a.1).cmp(&key(b.1)))
            .then_with(|| a.1.cmp(&b.1))
    });
    all.truncate(limit);
    (all, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_scores_keep_the_lowest_tie_orders_whatever_the_order_offered() {
        // Ten hits of one score offered in two orders, keeping four: the same four, the
        // lowest keys, best first; a higher score still wins over any key.
        let offers: Vec<Ranked> = (0..10)
            .map(|i| (1.0, (i * 7 % 10) as u64, DocAddress::new(i % 2, i)))
            .collect();
        let mut forward = TopK::new(4);
        let mut backward = TopK::new(4);
        for &(s, k, a) in &offers {
            forward.offer(s, k, a);
        }
        for &(s, k, a) in offers.iter().rev() {
            backward.offer(s, k, a);
        }
        let keys = |top: TopK| top.into_sorted().iter().map(|r| r.1).collect::<Vec<_>>();
        assert_eq!(keys(forward), vec![0, 1, 2, 3]);
        let mut higher = backward;
        higher.offer(1.5, 99, DocAddress::new(0, 20));
        assert_eq!(keys(higher), vec![99, 0, 1, 2]);
    }

    #[test]
    fn packed_hits_order_as_scores_then_documents() {
        let scores = [-3.5f32, -0.0, 0.0, 1e-30, 0.5, 0.5, 7.25, f32::MAX];
        for (i, &a) in scores.iter().enumerate() {
            assert_eq!(
                SegmentHeap::unpack(SegmentHeap::pack(a, 9)),
                (a, 9),
                "{a} round trip"
            );
            for &b in &scores[i..] {
                let order = a.total_cmp(&b);
                assert_eq!(ordered_bits(a).cmp(&ordered_bits(b)), order, "{a} {b}");
                // Equal scores: the earlier document is the better hit.
                assert_eq!(
                    SegmentHeap::pack(a, 3).cmp(&SegmentHeap::pack(b, 4)),
                    order.then(Ordering::Greater),
                    "{a} {b}"
                );
            }
        }
        let mut heap = SegmentHeap::new(2);
        for (doc, score) in [(0, 1.0), (1, 2.0), (2, 2.0), (3, 1.5)] {
            if heap.would_keep(score) {
                heap.offer(score, doc);
            }
        }
        assert_eq!(heap.into_sorted(), vec![(2.0, 1), (2.0, 2)]);
    }

    #[test]
    fn a_tie_gets_through_from_another_segment_only() {
        let mut top = TopK::new(1);
        assert_eq!(top.threshold(0), None);
        top.offer(2.0, 5, DocAddress::new(0, 3));
        assert_eq!(top.threshold(0), Some(2.0));
        let other = top.threshold(1).unwrap();
        assert!(other < 2.0 && 2.0f32.next_down() == other);
        assert!(top.would_keep(2.0, 4, DocAddress::new(1, 0)));
        assert!(!top.would_keep(2.0, 6, DocAddress::new(1, 0)));
    }
}
