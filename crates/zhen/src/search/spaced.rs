//! Queries of several spaced words (`合同 违约`): every word required, and two bonuses
//! checked only where they can change the best hits.
//!
//! Such a query requires each word (as its characters, scoring extra where they stand as
//! the word) and adds two bonuses: the words close together (a sloppy phrase of the words)
//! and the words written contiguously (a phrase of the joined text's bigrams). As one
//! boolean query, tantivy checks both phrases' positions for every match, and every match
//! is counted and scored: `人民 法院` on prc-laws checked 10,551 paragraphs' positions twice
//! to return ten.
//!
//! A phrase's BM25 score grows with how often it occurs in the paragraph, which is at most
//! how often each of its words occurs there: a frequency read anyway to score the words.
//! (That holds for an exact phrase and for two words within a slop. tantivy's count for
//! three or more words within a slop can exceed some of the words' frequencies, but not
//! the greatest of them: it counts at most one match per position of the word its
//! intersection reads last, so that bonus is bounded by the greatest.)
//! So each match gets a bound on its bonuses from its words' frequencies (not from the
//! phrase's highest possible score, which exceeds the spread of the words' scores and so
//! would rule nothing out), and the phrases are checked only for the matches whose bound
//! could lift them into the best hits so far, each at that match alone (`seek_danger`, not
//! walked to its next match), the larger bound first: a missing phrase can then show that
//! the match cannot make it, sparing the other's check. `人民 法院` then checks 114 matches;
//! `合同 违约`, whose bonuses decide its ranking, still checks 267 of its 286.
//!
//! Before the contiguous words' phrase reads positions, the bigrams it spans are looked
//! up: `合同违约`, a phrase of `合同` and `违约`, has `同违` wherever it occurs, and `同违` is
//! in 38 of prc-laws' paragraphs, none of them among `合同 违约`'s matches. A match without
//! such a bigram is ruled out by seeking its postings (no positions), and the next
//! paragraph with it bounds where the phrase can match next.
//!
//! The count, the hits and their scores are those of the boolean query
//! ([`SpacedWords::general`]), which the tests hold it to.

use std::cell::RefCell;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings, TermInfo};
use tantivy::query::{Bm25StatisticsProvider, Bm25Weight, EnableScoring, Query, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{
    DocAddress, DocId, DocSet, Score, SeekDangerResult, SegmentReader, Term, TERMINATED,
};

use super::top::{Orders, Ranked, TopK};

/// At most two bonuses: the words close together, and contiguous.
pub(crate) const MAX_BONUSES: usize = 2;

/// One required word of a [`SpacedWords`] query.
#[derive(Debug, Clone)]
pub(crate) struct Leg {
    /// The term every match has: the word's characters (one bigram, or one character) or,
    /// for a word of letters or digits, the word.
    pub required: Term,
    pub boost: Score,
    /// The word as a word, scoring extra where present (`None` when `required` is it).
    pub word: Option<Term>,
}

/// Which frequency bounds a bonus phrase's frequency in a paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// The frequency of leg `i`'s required term.
    Required(usize),
    /// The frequency of leg `i`'s word.
    Word(usize),
}

/// A phrase (or term) that adds to the score of the matches it also matches.
#[derive(Debug)]
pub(crate) struct Bonus {
    /// The bonus as it runs: its query, boosted.
    pub query: Box<dyn Query>,
    /// Its terms, all of one field, for its BM25 weight.
    pub terms: Vec<Term>,
    pub boost: Score,
    /// Each occurrence of the bonus is an occurrence of each of these legs' terms, so its
    /// frequency is at most the least of theirs (or, with `greatest`, the greatest).
    /// Empty: bounded by its highest score alone.
    pub limits: Vec<Limit>,
    /// The bonus's frequency is bounded by the greatest of the limits' frequencies, not
    /// the least (and is 0 where one of them is 0): tantivy's count for three or more
    /// words within a slop can exceed some of the words' frequencies, but it counts at
    /// most one match per position of the term its intersection reads last, which is one
    /// of them.
    pub greatest: bool,
    /// For a phrase of two of the legs' own terms within this slop (the words close
    /// together): checked from the legs' positions, as tantivy counts such a phrase,
    /// without a phrase scorer of its own.
    pub slop: Option<u32>,
    /// Terms of its field found wherever it matches, though not among its own terms: the
    /// bigrams that a phrase of non-overlapping bigrams spans (`同违` in `合同违约`, a
    /// phrase of `合同` and `违约`). A match without one of them is ruled out by reading
    /// where that term's paragraphs are, not the phrase's positions.
    pub implied: Vec<Term>,
}

impl Clone for Bonus {
    fn clone(&self) -> Bonus {
        Bonus {
            query: self.query.box_clone(),
            terms: self.terms.clone(),
            boost: self.boost,
            limits: self.limits.clone(),
            greatest: self.greatest,
            slop: self.slop,
            implied: self.implied.clone(),
        }
    }
}

/// Several required words and their bonuses. As a tantivy [`Query`] it is
/// [`general`](SpacedWords::general), the equivalent boolean query; [`SpacedWords::top_and_count`]
/// is the pruned evaluation that searches run.
#[derive(Debug)]
pub(crate) struct SpacedWords {
    pub legs: Vec<Leg>,
    pub bonuses: Vec<Bonus>,
    /// Terms every hit must have, scoring nothing (`--doc`, `--lang`).
    pub filters: Vec<Term>,
    /// The same query as tantivy's boolean query: every leg and filter required, the
    /// bonuses optional.
    pub general: Box<dyn Query>,
}

impl Clone for SpacedWords {
    fn clone(&self) -> SpacedWords {
        SpacedWords {
            legs: self.legs.clone(),
            bonuses: self.bonuses.clone(),
            filters: self.filters.clone(),
            general: self.general.box_clone(),
        }
    }
}

impl Query for SpacedWords {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        self.general.weight(enable_scoring)
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.general.query_terms(visitor)
    }
}

/// A bonus ready for a segment's matches.
struct BonusWeight {
    check: Check,
    bm25: Bm25Weight,
    limits: Vec<Limit>,
    greatest: bool,
    field: tantivy::schema::Field,
    implied: Vec<Term>,
}

/// How a bonus is checked at a match.
enum Check {
    /// With tantivy's weight of the bonus query.
    Scorer(Box<dyn Weight>),
    /// From the positions of the two legs' terms that its limits name, in order: a phrase
    /// of them within this slop. (No weight is made for it: that would cost its own
    /// statistics and BM25 table.)
    Positions(u32),
}

impl SpacedWords {
    /// The best `limit` hits, best first (equal scores by tie order, see `search::top`),
    /// and how many paragraphs match: one pass over the matches.
    pub(crate) fn top_and_count(
        &self,
        searcher: &tantivy::Searcher,
        orders: &Orders,
        limit: usize,
    ) -> tantivy::Result<(Vec<(Score, DocAddress)>, usize)> {
        let run = self.run(searcher, orders, limit)?;
        let top = run.top.into_iter().map(|(s, _, a)| (s, a)).collect();
        Ok((top, run.total))
    }

    /// Whether `bonus` is a phrase of exactly the terms its limits name, in their order:
    /// then its positions are the legs' own.
    fn names_its_limits(&self, bonus: &Bonus) -> bool {
        bonus.terms.len() == bonus.limits.len()
            && bonus.limits.iter().zip(&bonus.terms).all(|(limit, term)| {
                let named = match *limit {
                    Limit::Required(i) => Some(&self.legs[i].required),
                    Limit::Word(i) => self.legs[i].word.as_ref(),
                };
                named == Some(term)
            })
    }

    fn run(
        &self,
        searcher: &tantivy::Searcher,
        orders: &Orders,
        limit: usize,
    ) -> tantivy::Result<Run> {
        // The legs' terms recur in the bonuses: each term is looked up once in every
        // segment's term dictionary, for its document frequency and then its postings.
        let cached = CachedStatistics {
            searcher,
            terms: RefCell::new(Vec::new()),
        };
        let stats: &dyn Bm25StatisticsProvider = &cached;
        // The weight `Bm25Weight::for_terms` makes of one term, without the explanation it
        // formats for it (four allocations a weight, and nothing here explains a score).
        let term_weight = |term: &Term, boost: Score| -> tantivy::Result<Bm25Weight> {
            let field = term.field();
            let docs = stats.total_num_docs()?;
            let average_fieldnorm = stats.total_num_tokens(field)? as Score / docs as Score;
            let doc_freq = stats.doc_freq(term)?;
            Ok(
                Bm25Weight::for_one_term_without_explain(doc_freq, docs, average_fieldnorm)
                    .boost_by(boost),
            )
        };
        let legs: Vec<(Bm25Weight, Option<Bm25Weight>)> = self
            .legs
            .iter()
            .map(|leg| {
                Ok((
                    term_weight(&leg.required, leg.boost)?,
                    leg.word.as_ref().map(|w| term_weight(w, 1.0)).transpose()?,
                ))
            })
            .collect::<tantivy::Result<_>>()?;
        let enable = EnableScoring::enabled_from_statistics_provider(stats, searcher);
        let bonuses: Vec<BonusWeight> = self
            .bonuses
            .iter()
            .map(|b| {
                let check = match b.slop.filter(|_| self.names_its_limits(b)) {
                    Some(slop) => Check::Positions(slop),
                    None => Check::Scorer(b.query.weight(enable)?),
                };
                Ok(BonusWeight {
                    check,
                    bm25: Bm25Weight::for_terms(stats, &b.terms)?.boost_by(b.boost),
                    limits: b.limits.clone(),
                    greatest: b.greatest,
                    field: b.terms[0].field(),
                    implied: b.implied.clone(),
                })
            })
            .collect::<tantivy::Result<_>>()?;

        let mut top = TopK::new(limit);
        let mut total = 0usize;
        let (mut checked, mut checks) = (0usize, 0usize);
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let Some(mut segment) = Segment::open(self, &legs, &bonuses, &cached, (ord, reader))?
            else {
                continue;
            };
            let alive = reader.alive_bitset();
            let mut doc = segment.first();
            while doc != TERMINATED {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    total += 1;
                    let required = segment.required_score(doc);
                    let before = segment.checks;
                    if let Some(score) = segment.score(doc, required, top.threshold(ord as u32))? {
                        let key = orders.key(ord as u32, doc);
                        top.offer(score, key, DocAddress::new(ord as u32, doc));
                    }
                    checked += usize::from(segment.checks > before);
                }
                doc = segment.advance();
            }
            checks += segment.checks;
        }
        Ok(Run {
            top: top.into_sorted(),
            total,
            checked,
            checks,
        })
    }
}

/// What [`SpacedWords::run`] found.
struct Run {
    top: Vec<Ranked>,
    /// The matches.
    total: usize,
    /// The matches whose bonuses were checked.
    #[cfg_attr(not(test), allow(dead_code))]
    checked: usize,
    /// The bonus phrases checked (positions read), over all matches.
    #[cfg_attr(not(test), allow(dead_code))]
    checks: usize,
}

/// The searcher's statistics, each term looked up once in each segment's term dictionary.
struct CachedStatistics<'s> {
    searcher: &'s tantivy::Searcher,
    /// A handful of terms: a list is quicker than hashing them.
    terms: RefCell<Vec<LookedUp>>,
}

/// A term as [`CachedStatistics`] found it.
struct LookedUp {
    term: Term,
    /// Its information in every segment, `None` where it does not occur.
    infos: Vec<Option<TermInfo>>,
    doc_freq: u64,
}

impl CachedStatistics<'_> {
    /// Where `term` is found in every segment, and its document frequency.
    fn look_up(&self, term: &Term) -> tantivy::Result<usize> {
        if let Some(at) = self.terms.borrow().iter().position(|t| t.term == *term) {
            return Ok(at);
        }
        let mut infos = Vec::with_capacity(self.searcher.segment_readers().len());
        let mut doc_freq = 0;
        for reader in self.searcher.segment_readers() {
            let info = reader.inverted_index(term.field())?.get_term_info(term)?;
            doc_freq += info.as_ref().map_or(0, |i| u64::from(i.doc_freq));
            infos.push(info);
        }
        let mut terms = self.terms.borrow_mut();
        terms.push(LookedUp {
            term: term.clone(),
            infos,
            doc_freq,
        });
        Ok(terms.len() - 1)
    }

    /// `term`'s information in segment `ord`, `None` where it does not occur.
    fn term_info(&self, term: &Term, ord: usize) -> tantivy::Result<Option<TermInfo>> {
        let at = self.look_up(term)?;
        Ok(self.terms.borrow()[at].infos[ord].clone())
    }
}

impl Bm25StatisticsProvider for CachedStatistics<'_> {
    fn total_num_tokens(&self, field: tantivy::schema::Field) -> tantivy::Result<u64> {
        self.searcher.total_num_tokens(field)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.searcher.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let at = self.look_up(term)?;
        Ok(self.terms.borrow()[at].doc_freq)
    }
}

/// One leg's scorers in a segment.
struct LegScorers {
    required: TermScorer,
    word: Option<TermScorer>,
}

/// A bonus's state in a segment: its scorer is made at the first match it is checked for.
struct BonusState<'w> {
    weight: &'w BonusWeight,
    fieldnorms: FieldNormReader,
    /// The weight's limits, their legs counted in the segment's order.
    limits: Vec<Limit>,
    scorer: Option<Box<dyn tantivy::query::Scorer>>,
    /// The postings of the weight's implied terms, opened at the first check.
    implied: Option<Vec<SegmentPostings>>,
    /// No match of the bonus lies before this document (tantivy's `seek_danger`, or the
    /// next paragraph with an implied term).
    lower: DocId,
}

/// A [`SpacedWords`] query in one segment: the conjunction of its legs (and filters).
struct Segment<'w> {
    reader: &'w SegmentReader,
    /// Legs, least frequent first: the first drives the conjunction.
    legs: Vec<LegScorers>,
    filters: Vec<SegmentPostings>,
    bonuses: Vec<BonusState<'w>>,
    /// How many bonus phrases have been checked.
    checks: usize,
    /// The positions of a directly checked phrase's two terms.
    positions: (Vec<u32>, Vec<u32>),
}

/// A term's postings in a segment, scored as tantivy's term query scores them.
struct TermScorer {
    postings: SegmentPostings,
    fieldnorms: FieldNormReader,
    bm25: Bm25Weight,
}

impl TermScorer {
    /// `None` when the term does not occur in the segment (`ord`, read by `reader`).
    fn open(
        reader: &SegmentReader,
        ord: usize,
        stats: &CachedStatistics,
        term: &Term,
        bm25: &Bm25Weight,
        positions: bool,
    ) -> tantivy::Result<Option<TermScorer>> {
        let field = term.field();
        let option = if positions {
            IndexRecordOption::WithFreqsAndPositions
        } else {
            IndexRecordOption::WithFreqs
        };
        let Some(info) = stats.term_info(term, ord)? else {
            return Ok(None);
        };
        let postings = reader
            .inverted_index(field)?
            .read_postings_from_terminfo(&info, option)?;
        Ok(Some(TermScorer {
            postings,
            fieldnorms: reader.get_fieldnorms_reader(field)?,
            bm25: bm25.clone(),
        }))
    }

    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    /// The first document at or after `target`; unlike tantivy's `seek`, `target` may lie
    /// behind the current document (a leg not yet moved stands on its first).
    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.postings.doc();
        if doc >= target {
            return doc;
        }
        self.postings.seek(target)
    }

    fn term_freq(&self) -> u32 {
        self.postings.term_freq()
    }

    fn score(&self) -> Score {
        let doc = self.postings.doc();
        self.bm25
            .score(self.fieldnorms.fieldnorm_id(doc), self.postings.term_freq())
    }
}

impl<'w> Segment<'w> {
    /// Segment `ord` of `stats`' searcher, read by `reader`; `None` when some required
    /// term does not occur in it.
    fn open(
        query: &SpacedWords,
        weights: &[(Bm25Weight, Option<Bm25Weight>)],
        bonuses: &'w [BonusWeight],
        stats: &CachedStatistics,
        (ord, reader): (usize, &'w SegmentReader),
    ) -> tantivy::Result<Option<Segment<'w>>> {
        // The legs' terms whose positions a bonus is checked with.
        let read = |limit: Limit| {
            bonuses
                .iter()
                .any(|b| matches!(b.check, Check::Positions(_)) && b.limits.contains(&limit))
        };
        // Legs least frequent first, by their required terms' paragraphs in the segment
        // (what their postings' `size_hint` would say), found before any postings are
        // opened: each is opened once, where it goes, not moved about (a term's postings
        // hold its decoded block, over a kilobyte).
        let mut by_cost = Vec::with_capacity(query.legs.len());
        for (i, leg) in query.legs.iter().enumerate() {
            let Some(info) = stats.term_info(&leg.required, ord)? else {
                return Ok(None);
            };
            by_cost.push((info.doc_freq, i));
        }
        by_cost.sort_by_key(|&(cost, _)| cost);
        // Where each leg of the query stands among them.
        let mut order = vec![0; query.legs.len()];
        for (position, &(_, i)) in by_cost.iter().enumerate() {
            order[i] = position;
        }
        let mut legs = Vec::with_capacity(query.legs.len());
        for &(_, i) in &by_cost {
            let (leg, (required_weight, word_weight)) = (&query.legs[i], &weights[i]);
            let positions = read(Limit::Required(i));
            let required = TermScorer::open(
                reader,
                ord,
                stats,
                &leg.required,
                required_weight,
                positions,
            )?
            .expect("found in the segment above");
            let word = match (&leg.word, word_weight) {
                (Some(term), Some(weight)) => {
                    TermScorer::open(reader, ord, stats, term, weight, read(Limit::Word(i)))?
                }
                _ => None,
            };
            legs.push(LegScorers { required, word });
        }
        let mut filters = Vec::with_capacity(query.filters.len());
        for term in &query.filters {
            match reader
                .inverted_index(term.field())?
                .read_postings(term, IndexRecordOption::Basic)?
            {
                Some(postings) => filters.push(postings),
                None => return Ok(None),
            }
        }
        let bonuses = bonuses
            .iter()
            .map(|weight| {
                let limits = weight
                    .limits
                    .iter()
                    .map(|limit| match *limit {
                        Limit::Required(i) => Limit::Required(order[i]),
                        Limit::Word(i) => Limit::Word(order[i]),
                    })
                    .collect();
                Ok(BonusState {
                    weight,
                    limits,
                    fieldnorms: reader.get_fieldnorms_reader(weight.field)?,
                    scorer: None,
                    implied: None,
                    lower: 0,
                })
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(Some(Segment {
            reader,
            legs,
            filters,
            bonuses,
            checks: 0,
            positions: (Vec::new(), Vec::new()),
        }))
    }

    /// The first match.
    fn first(&mut self) -> DocId {
        let doc = self.legs[0].required.doc();
        self.align(doc)
    }

    /// The next match.
    fn advance(&mut self) -> DocId {
        let doc = self.legs[0].required.advance();
        self.align(doc)
    }

    /// The first match at or after `candidate`, where the first leg stands.
    fn align(&mut self, mut candidate: DocId) -> DocId {
        'candidates: while candidate != TERMINATED {
            for leg in &mut self.legs[1..] {
                let doc = leg.required.seek(candidate);
                if doc > candidate {
                    candidate = self.legs[0].required.seek(doc);
                    continue 'candidates;
                }
            }
            for filter in &mut self.filters {
                let doc = match filter.doc() {
                    doc if doc < candidate => filter.seek(candidate),
                    doc => doc,
                };
                if doc > candidate {
                    candidate = self.legs[0].required.seek(doc);
                    continue 'candidates;
                }
            }
            return candidate;
        }
        TERMINATED
    }

    /// The score of the match `doc` without its bonuses, summed as tantivy's boolean
    /// query sums it: each leg its required term plus its word where present, the legs
    /// from the least frequent on.
    fn required_score(&mut self, doc: DocId) -> Score {
        let mut leg_score = |leg: &mut LegScorers| -> Score {
            let mut score = leg.required.score();
            if let Some(word) = &mut leg.word {
                if word.seek(doc) == doc {
                    score += word.score();
                }
            }
            score
        };
        let (first, rest) = self.legs.split_at_mut(1);
        match rest.split_first_mut() {
            None => leg_score(&mut first[0]),
            Some((second, others)) => {
                let head = leg_score(&mut first[0]) + leg_score(second);
                head + others.iter_mut().map(&mut leg_score).sum::<Score>()
            }
        }
    }

    /// The frequency of the term `limit` names in the match the legs stand on (after
    /// [`Segment::required_score`], which moves the words there); 0 for an absent word.
    fn frequency(&self, limit: Limit, doc: DocId) -> u32 {
        match limit {
            Limit::Required(i) => self.legs[i].required.term_freq(),
            Limit::Word(i) => match &self.legs[i].word {
                Some(word) if word.doc() == doc => word.term_freq(),
                _ => 0,
            },
        }
    }

    /// At least what bonus `i` can score at `doc`.
    fn bound(&self, i: usize, doc: DocId) -> Score {
        let bonus = &self.bonuses[i];
        if bonus.limits.is_empty() {
            return bonus.weight.bm25.max_score();
        }
        let (mut least, mut greatest) = (u32::MAX, 0);
        for &limit in &bonus.limits {
            let frequency = self.frequency(limit, doc);
            least = least.min(frequency);
            greatest = greatest.max(frequency);
        }
        // A term of the bonus missing from the match: the bonus is not there either.
        if least == 0 {
            return 0.0;
        }
        let frequency = if bonus.weight.greatest {
            greatest
        } else {
            least
        };
        bonus
            .weight
            .bm25
            .score(bonus.fieldnorms.fieldnorm_id(doc), frequency)
    }

    /// The score of the match `doc` (whose bonuses' scores `required` leaves out), or
    /// `None` once its bonuses cannot lift it above `threshold`. The bonuses are checked
    /// largest bound first, so that a missing one can spare the check of the other.
    fn score(
        &mut self,
        doc: DocId,
        required: Score,
        threshold: Option<Score>,
    ) -> tantivy::Result<Option<Score>> {
        // Each bonus's bound until it is checked, then its score (0 where it does not
        // match). Summed in the query's order, as tantivy's union sums the bonuses, the
        // total with bounds is never below the final one: rounding keeps the order.
        let mut values = [0.0; MAX_BONUSES];
        let n = self.bonuses.len();
        for (i, value) in values.iter_mut().enumerate().take(n) {
            *value = self.bound(i, doc);
        }
        let total =
            |values: &[Score; MAX_BONUSES]| required + values.iter().fold(0.0, |sum, v| sum + v);
        let below = |values: &[Score; MAX_BONUSES]| threshold.is_some_and(|t| total(values) <= t);
        if below(&values) {
            return Ok(None);
        }
        let order = if values[1] > values[0] {
            [1, 0]
        } else {
            [0, 1]
        };
        // A bound of 0 is a limit's term absent from the match: nothing to check.
        for i in order {
            if i >= n || values[i] == 0.0 {
                continue;
            }
            values[i] = self.check(i, doc)?.unwrap_or(0.0);
            if below(&values) {
                return Ok(None);
            }
        }
        Ok(Some(total(&values)))
    }

    /// The score of bonus `i` at `doc`; `None` when it does not match there.
    fn check(&mut self, i: usize, doc: DocId) -> tantivy::Result<Option<Score>> {
        let weight = match &self.bonuses[i].weight.check {
            Check::Positions(slop) => return Ok(self.check_positions(i, doc, *slop)),
            Check::Scorer(weight) => weight,
        };
        let bonus = &mut self.bonuses[i];
        if doc < bonus.lower {
            return Ok(None);
        }
        if bonus.implied.is_none() {
            let mut implied = Vec::with_capacity(bonus.weight.implied.len());
            for term in &bonus.weight.implied {
                match self
                    .reader
                    .inverted_index(term.field())?
                    .read_postings(term, IndexRecordOption::Basic)?
                {
                    Some(postings) => implied.push(postings),
                    // Not in the segment: neither is the bonus.
                    None => bonus.lower = TERMINATED,
                }
            }
            bonus.implied = Some(implied);
            if doc < bonus.lower {
                return Ok(None);
            }
        }
        // Matches are checked in document order, so these postings only move forward.
        for postings in bonus.implied.iter_mut().flatten() {
            let next = match postings.doc() {
                current if current < doc => postings.seek(doc),
                current => current,
            };
            if next > doc {
                bonus.lower = next;
                return Ok(None);
            }
        }
        self.checks += 1;
        let found = match &mut bonus.scorer {
            Some(scorer) => scorer.seek_danger(doc),
            None => {
                let (found, scorer) = weight.scorer_danger(self.reader, doc, 1.0)?;
                bonus.scorer = Some(scorer);
                found
            }
        };
        match found {
            SeekDangerResult::Found => Ok(Some(bonus.scorer.as_mut().expect("made above").score())),
            SeekDangerResult::SeekLowerBound(lower) => {
                bonus.lower = lower;
                Ok(None)
            }
        }
    }
}

impl Segment<'_> {
    /// The term scorer that `limit` names.
    fn scorer_mut(&mut self, limit: Limit) -> &mut TermScorer {
        match limit {
            Limit::Required(i) => &mut self.legs[i].required,
            Limit::Word(i) => self.legs[i].word.as_mut().expect("a bound above 0 read it"),
        }
    }

    /// [`Segment::check`] of a phrase of two legs' terms within `slop`, from the legs'
    /// postings, which stand on `doc` (its bound was above 0, so both terms are there).
    /// tantivy's phrase scorer reads the same positions through postings of its own,
    /// opened at the first check and sought again at every one: this was a fifth of
    /// `合同 违约`. The count and score are tantivy's: its phrase of two terms at offsets 0
    /// and 1 reads their positions shifted to a common origin (the first by 1), takes
    /// the term with fewer paragraphs as the left one (the first on a tie), and counts
    /// as [`count_within_slop`] does.
    fn check_positions(&mut self, i: usize, doc: DocId, slop: u32) -> Option<Score> {
        let [first, second] = self.bonuses[i].limits[..] else {
            unreachable!("a phrase of two terms");
        };
        let (mut left, mut right) = std::mem::take(&mut self.positions);
        let first_cost = {
            let scorer = self.scorer_mut(first);
            debug_assert_eq!(scorer.doc(), doc);
            scorer.postings.positions_with_offset(1, &mut left);
            scorer.postings.size_hint()
        };
        let second_cost = {
            let scorer = self.scorer_mut(second);
            debug_assert_eq!(scorer.doc(), doc);
            scorer.postings.positions_with_offset(0, &mut right);
            scorer.postings.size_hint()
        };
        let count = if second_cost < first_cost {
            count_within_slop(&right, &left, slop)
        } else {
            count_within_slop(&left, &right, slop)
        };
        self.positions = (left, right);
        self.checks += 1;
        let bonus = &self.bonuses[i];
        (count > 0).then(|| {
            bonus
                .weight
                .bm25
                .score(bonus.fieldnorms.fieldnorm_id(doc), count)
        })
    }
}

/// How often a phrase of two terms occurs within `slop`, counted as tantivy counts it
/// (its phrase scores hold zhen to that count): walking both sorted position lists, a
/// pair within the slop counts once, after the left list is moved to its last position
/// that does not pass the right one, and both lists then move on.
fn count_within_slop(left: &[u32], right: &[u32], slop: u32) -> u32 {
    let (mut l, mut r, mut count) = (0, 0, 0);
    while l < left.len() && r < right.len() {
        if left[l].abs_diff(right[r]) <= slop {
            while left.get(l + 1).is_some_and(|&next| next <= right[r]) {
                l += 1;
            }
            count += 1;
            l += 1;
            r += 1;
        } else if left[l] < right[r] {
            l += 1;
        } else {
            r += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {

    use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, TermQuery};

    use super::*;
    use crate::search::query;
    use crate::{Index, IndexBuilder, Paragraph, SearchOptions};

    /// The spaced-words query `q` compiles to.
    fn spaced_of(searcher: &crate::Searcher, q: &str) -> SpacedWords {
        let live = searcher.live();
        let parsed = query::parse(q).unwrap();
        let mut grams = searcher.inner.grams.clone();
        let compiled = searcher
            .compile(&live.fields, &parsed, &mut grams, false)
            .unwrap();
        compiled.tiers[0]
            .downcast_ref::<SpacedWords>()
            .unwrap_or_else(|| panic!("{q}: {:?}", compiled.tiers))
            .clone()
    }

    /// `spaced` run pruned, with its top hits without their tie orders.
    fn run_of(spaced: &SpacedWords, searcher: &tantivy::Searcher, limit: usize) -> (Run, Hits) {
        let orders = crate::search::top::OrderCache::default()
            .open(searcher)
            .unwrap();
        let run = spaced.run(searcher, &orders, limit).unwrap();
        let top = run.top.iter().map(|&(s, _, a)| (s, a)).collect();
        (run, top)
    }

    type Hits = Vec<(Score, DocAddress)>;

    /// The top `limit` hits and count of `spaced` both ways: pruned, and as tantivy's
    /// boolean query (every match, ranked by score and tie order).
    fn both_ways(
        spaced: &SpacedWords,
        searcher: &tantivy::Searcher,
        limit: usize,
    ) -> (Run, Hits, (Hits, usize)) {
        let (run, top) = run_of(spaced, searcher, limit);
        let general = crate::search::top::reference(searcher, &spaced.general, limit);
        (run, top, general)
    }

    #[test]
    fn the_bounds_hold_where_words_repeat_in_every_order() {
        // Paragraphs of a few words in every order, often repeated: tantivy's phrase
        // counts meet every pairing case. (With three words within a slop, its count can
        // exceed each word's frequency: this test found that the bound assumed otherwise.)
        bounds_hold(
            &["合同", "违约", "公司", "的"],
            "",
            &[
                "合同 违约",
                "违约 合同",
                "公司 违约 合同",
                "的 合同",
                "合同 的 违约",
                "的 违约 合同",
                "违约 公司 的 合同",
                "违约 的 合同 公司",
            ],
        );
    }

    #[test]
    fn the_bounds_hold_for_words_in_letters_and_their_exact_phrase() {
        // Words in letters have an exact-phrase bonus (checked from the legs' positions
        // for two words) besides the proximity one.
        bounds_hold(
            &["climate", "change", "policy", "green"],
            " ",
            &[
                "climate change",
                "change climate",
                "green climate change",
                "climate change policy green",
                "policy change",
            ],
        );
    }

    /// Pruned runs of `queries` give tantivy's hits, scores and counts on 400 paragraphs
    /// of `words` in random order, joined by `sep`.
    fn bounds_hold(words: &[&str], sep: &str, queries: &[&str]) {
        let mut state = 7u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        let paragraphs: Vec<Paragraph> = (0..400)
            .map(|i| {
                let len = 2 + next(14);
                let text: Vec<&str> = (0..len).map(|_| words[next(words.len())]).collect();
                Paragraph::new("s", i, text.join(sep))
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let mut builder = IndexBuilder::create(dir.path()).unwrap();
        builder.add_paragraphs("s", &paragraphs).unwrap();
        builder.commit().unwrap();
        let searcher = Index::open(dir.path()).unwrap().searcher();
        let tantivy_searcher = searcher.live().reader.searcher();
        for &q in queries {
            let spaced = spaced_of(&searcher, q);
            for limit in [1, 10, 400] {
                let (run, ours, (top, total)) = both_ways(&spaced, &tantivy_searcher, limit);
                assert_eq!(ours, top, "{q}, {limit} hits");
                assert_eq!(run.total, total, "{q}");
            }
        }
    }

    #[test]
    fn pruned_bonuses_give_the_boolean_querys_hits_scores_and_count() {
        let (_dir, searcher) = crate::search::test_corpus::work_reports_searcher();
        let live = searcher.live();
        let tantivy_searcher = live.reader.searcher();
        assert!(tantivy_searcher.segment_readers().len() >= 2);

        let queries = [
            "经济 发展",
            "改革 开放",
            "人民 生活",
            "社会 保障",
            "就业 收入",
            "税 费",
            "经济 增长 发展",
            "农业 农村 农民",
            "国有 企业 改革",
            "环境 保护",
            "GDP 增长",
            "改革 economy",
            // Legs of the character field, whose frequencies bound nothing, beside bigrams.
            "税 改革",
            "经济 税",
            "GDP 经济 增长",
            "粮 农业 增长",
        ];
        let mut pruned = 0;
        let mut ruled_out = 0;
        for q in queries {
            let spaced = spaced_of(&searcher, q);
            // The same query without the implied bigrams: every match they rule out has
            // its phrase checked instead.
            let mut unimplied = spaced.clone();
            for bonus in &mut unimplied.bonuses {
                bonus.implied.clear();
            }
            for limit in [1, 3, 10, 50] {
                let (run, ours, (top, total)) = both_ways(&spaced, &tantivy_searcher, limit);
                assert_eq!(ours, top, "{q}, {limit} hits");
                assert_eq!(run.total, total, "{q}, {limit} hits");
                assert!(run.checked <= run.total);
                if run.checked < run.total {
                    pruned += 1;
                }
                let (checked_all, all_top) = run_of(&unimplied, &tantivy_searcher, limit);
                assert_eq!(all_top, top, "{q}, {limit} hits, no implied bigrams");
                assert!(run.checks <= checked_all.checks, "{q}, {limit} hits");
                if run.checks < checked_all.checks {
                    ruled_out += 1;
                }
            }
            // With a filter (`--doc`), as searches add it.
            for doc in ["a", "b", "zz"] {
                let term = Term::from_field_text(live.fields.doc, doc);
                let mut filtered = spaced.clone();
                filtered.filters.push(term.clone());
                filtered.general = Box::new(BooleanQuery::new(vec![
                    (Occur::Must, spaced.general.box_clone()),
                    (
                        Occur::Must,
                        Box::new(ConstScoreQuery::new(
                            Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                            0.0,
                        )),
                    ),
                ]));
                let (run, ours, (top, total)) = both_ways(&filtered, &tantivy_searcher, 10);
                assert_eq!(ours, top, "{q} in {doc}");
                assert_eq!(run.total, total, "{q} in {doc}");

                let mut options = SearchOptions::with_limit(10);
                options.doc = Some(doc.to_owned());
                let results = searcher.search_with(q, &options).unwrap();
                assert_eq!(results.total_hits, total, "{q} in {doc}");
                let scores: Vec<Score> = results.hits.iter().map(|h| h.score).collect();
                let expected: Vec<Score> = top.iter().map(|(score, _)| *score).collect();
                assert_eq!(scores, expected, "{q} in {doc}");
                assert!(results.hits.iter().all(|h| h.doc == doc), "{q} in {doc}");
            }
        }
        assert!(
            pruned >= 10,
            "the bounds ruled out some matches' checks in {pruned} runs"
        );
        assert!(
            ruled_out >= 20,
            "the implied bigrams ruled out some phrase checks in {ruled_out} runs"
        );

        // Queries that are not spaced required words run as before.
        for q in [
            "经济发展",
            "经济 -发展",
            "\"经济\" 发展",
            "经济 OR 发展 改革",
            "人民生活 改革",
            "the economy",
        ] {
            let parsed = query::parse(q).unwrap();
            let mut grams = searcher.inner.grams.clone();
            let compiled = searcher
                .compile(&live.fields, &parsed, &mut grams, false)
                .unwrap();
            assert!(compiled.tiers.iter().all(|t| !t.is::<SpacedWords>()), "{q}");
        }
    }
}
