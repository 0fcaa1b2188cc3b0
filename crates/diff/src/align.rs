//! Aligning two clause sequences: which clause of the old version became
//! which clause of the new one.
//!
//! Pure functions over texts; no labels, no files. Three passes:
//!
//! 1. **Exact, in order.** Clauses are compared by their [`words`]
//!    (lower-cased alphanumeric runs), so whitespace, case, punctuation and
//!    Markdown markers never count as edits. The longest common subsequence of
//!    equal clauses (Myers) anchors the alignment.
//! 2. **Fuzzy, in order.** Between two anchors, the clauses left on each side
//!    are paired by an order-preserving alignment that maximises the total
//!    [`similarity`] over pairs at or above [`CHANGED_THRESHOLD`]; such a
//!    pair is a *changed* clause.
//! 3. **Moved.** What is still unpaired is matched across the whole document,
//!    exact matches first, then the most similar pairs at or above the
//!    threshold; such a pair is a *moved* clause (possibly also edited).
//!
//! 4. **Merged and split.** Where a run of adjacent old clauses, read
//!    together, is the words of one new clause (a lead-in and its list
//!    items set as one paragraph), they are *merged*; one old clause whose
//!    words are a run of adjacent new clauses is *split*. Only clauses of
//!    one gap between unchanged clauses take part, and only when the group
//!    reads at least [`MERGE_THRESHOLD`] alike and closer than any pair
//!    among them.
//!
//! Whatever remains is *removed* (old side) or *added* (new side).

use similar::{capture_diff_slices, Algorithm, DiffOp};
use std::collections::HashMap;

/// Least [`similarity`] at which two different clauses count as one clause
/// edited rather than one removed and another added: at least half of the
/// words of the pair, in order, are shared.
pub const CHANGED_THRESHOLD: f64 = 0.5;

/// Fewest words, in order, two different clauses must share to be paired at
/// all: segmentation fragments such as `or "Airbnb"` and `or` are not one
/// clause edited.
pub const MIN_COMMON_WORDS: usize = 2;

/// Least [`similarity`] of a run of adjacent clauses, read as one, with
/// the clause they were merged into or split from.
pub const MERGE_THRESHOLD: f64 = 0.75;

/// Most clauses one merge or split takes in.
const MAX_GROUP: usize = 16;

/// One step of an alignment; indices are positions in the old and new slices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Same words, same relative place.
    Unchanged {
        old: usize,
        new: usize,
    },
    /// Edited in place; `similarity` in [`CHANGED_THRESHOLD`], 1).
    Changed {
        old: usize,
        new: usize,
        similarity: f64,
    },
    /// Found elsewhere in the new version; `similarity` 1 when only moved.
    Moved {
        old: usize,
        new: usize,
        similarity: f64,
    },
    Removed {
        old: usize,
    },
    Added {
        new: usize,
    },
    /// Old clauses `old_start..old_end` (adjacent) became the one new clause.
    Merged {
        old_start: usize,
        old_end: usize,
        new: usize,
        similarity: f64,
    },
    /// One old clause became new clauses `new_start..new_end` (adjacent).
    Split {
        old: usize,
        new_start: usize,
        new_end: usize,
        similarity: f64,
    },
}

/// The lower-cased alphanumeric runs of `text`: what clause comparison sees.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Word-level similarity of two texts in [0, 1]: twice the number of words in
/// their longest common subsequence over the total number of words (1 when
/// the word sequences are equal, 0 when they share no word).
pub fn similarity(a: &str, b: &str) -> f64 {
    let mut vocab = Vocab::default();
    let (a, b) = (vocab.ids(a), vocab.ids(b));
    sequence_ratio(&a, &b)
}

/// Align `old` clauses to `new` clauses. Steps come in reading order of the
/// new version, with each removed clause where it stood relative to its
/// neighbours; every index of both sides appears exactly once.
pub fn align<A: AsRef<str>, B: AsRef<str>>(old: &[A], new: &[B]) -> Vec<Step> {
    let mut vocab = Vocab::default();
    let old: Vec<Clause> = old.iter().map(|t| vocab.clause(t.as_ref())).collect();
    let new: Vec<Clause> = new.iter().map(|t| vocab.clause(t.as_ref())).collect();

    // Pass 1: exact anchors.
    let old_keys: Vec<&[u32]> = old.iter().map(|c| c.words.as_slice()).collect();
    let new_keys: Vec<&[u32]> = new.iter().map(|c| c.words.as_slice()).collect();
    let mut anchors: Vec<(usize, usize, Option<f64>)> = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &old_keys, &new_keys) {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            anchors.extend((0..len).map(|k| (old_index + k, new_index + k, None)));
        }
    }

    // Pass 2: fuzzy pairs inside each gap between anchors.
    let mut fuzzy = Vec::new();
    let (mut o, mut n) = (0, 0);
    for &(ao, an, _) in anchors.iter().chain([(old.len(), new.len(), None)].iter()) {
        fuzzy.extend(
            align_gap(&old[o..ao], &new[n..an])
                .into_iter()
                .map(|(i, j, s)| (o + i, n + j, Some(s))),
        );
        (o, n) = (ao + 1, an + 1);
    }
    anchors.extend(fuzzy);
    anchors.sort_by_key(|&(o, n, _)| (o, n));

    // Pass 3: moved clauses among the rest.
    let mut old_done = vec![false; old.len()];
    let mut new_done = vec![false; new.len()];
    for &(o, n, _) in &anchors {
        old_done[o] = true;
        new_done[n] = true;
    }
    let moved = match_moved(&old, &new, &old_done, &new_done);
    let mut moved_from: Vec<Option<(usize, f64)>> = vec![None; new.len()];
    for (o, n, s) in moved {
        old_done[o] = true;
        moved_from[n] = Some((o, s));
    }

    // Emit in reading order of the new version.
    let mut steps = Vec::with_capacity(old.len().max(new.len()));
    let (mut o, mut n) = (0, 0);
    let end = (old.len(), new.len(), None);
    for &(ao, an, sim) in anchors.iter().chain(std::iter::once(&end)) {
        steps.extend(
            (o..ao)
                .filter(|&i| !old_done[i])
                .map(|i| Step::Removed { old: i }),
        );
        steps.extend((n..an).map(|j| match moved_from[j] {
            Some((i, similarity)) => Step::Moved {
                old: i,
                new: j,
                similarity,
            },
            None => Step::Added { new: j },
        }));
        if ao < old.len() {
            steps.push(match sim {
                None => Step::Unchanged { old: ao, new: an },
                Some(similarity) => Step::Changed {
                    old: ao,
                    new: an,
                    similarity,
                },
            });
        }
        (o, n) = (ao + 1, an + 1);
    }
    merge_and_split(&old, &new, steps)
}

/// Pass 4: within each run of steps between unchanged or moved clauses,
/// replace adjacent removed, added and changed clauses by merges and splits
/// where a group reads as one clause of the other side.
fn merge_and_split(old: &[Clause], new: &[Clause], steps: Vec<Step>) -> Vec<Step> {
    let loose = |s: &Step| {
        matches!(
            s,
            Step::Removed { .. } | Step::Added { .. } | Step::Changed { .. }
        )
    };
    let mut out = Vec::with_capacity(steps.len());
    let mut i = 0;
    while i < steps.len() {
        if !loose(&steps[i]) {
            out.push(steps[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < steps.len() && loose(&steps[i]) {
            i += 1;
        }
        out.extend(regroup(old, new, &steps[start..i]));
    }
    out
}

/// A merge (many old, one new) or split (one old, many new) found in a run.
#[derive(Clone, Copy)]
struct Group {
    old: (usize, usize),
    new: (usize, usize),
    similarity: f64,
}

fn regroup(old: &[Clause], new: &[Clause], run: &[Step]) -> Vec<Step> {
    // Who is paired with whom in the run, and how closely.
    let mut paired_old: HashMap<usize, (usize, f64)> = HashMap::new();
    let mut paired_new: HashMap<usize, (usize, f64)> = HashMap::new();
    let (mut olds, mut news) = (Vec::new(), Vec::new());
    for step in run {
        match *step {
            Step::Removed { old } => olds.push(old),
            Step::Added { new } => news.push(new),
            Step::Changed {
                old,
                new,
                similarity,
            } => {
                olds.push(old);
                news.push(new);
                paired_old.insert(old, (new, similarity));
                paired_new.insert(new, (old, similarity));
            }
            _ => unreachable!("runs hold removed, added and changed steps"),
        }
    }
    olds.sort_unstable();
    news.sort_unstable();
    // Merges: runs of adjacent old clauses into one new; splits: the reverse.
    let merges = runs_read_as_one((old, &olds, &paired_old), (new, &news, &paired_new));
    let splits = runs_read_as_one((new, &news, &paired_new), (old, &olds, &paired_old));
    let mut candidates: Vec<Group> = merges
        .into_iter()
        .map(|(run, j, similarity)| Group {
            old: run,
            new: (j, j + 1),
            similarity,
        })
        .chain(splits.into_iter().map(|(run, i, similarity)| Group {
            old: (i, i + 1),
            new: run,
            similarity,
        }))
        .collect();
    if candidates.is_empty() {
        return run.to_vec();
    }
    // The closest groups first; none shares a clause with another.
    candidates.sort_by(|x, y| {
        y.similarity
            .total_cmp(&x.similarity)
            .then((x.old, x.new).cmp(&(y.old, y.new)))
    });
    let mut chosen: Vec<Group> = Vec::new();
    let overlaps = |r: (usize, usize), q: (usize, usize)| r.0 < q.1 && q.0 < r.1;
    for g in candidates {
        if chosen
            .iter()
            .all(|c| !overlaps(c.old, g.old) && !overlaps(c.new, g.new))
        {
            chosen.push(g);
        }
    }
    let group_of_old = |i: usize| chosen.iter().find(|g| (g.old.0..g.old.1).contains(&i));
    let group_of_new = |j: usize| chosen.iter().find(|g| (g.new.0..g.new.1).contains(&j));
    // Re-emit in the run's order: a group where its first new clause stood.
    let mut steps = Vec::with_capacity(run.len());
    for step in run {
        let (o, n) = match *step {
            Step::Removed { old } => (Some(old), None),
            Step::Added { new } => (None, Some(new)),
            Step::Changed { old, new, .. } => (Some(old), Some(new)),
            _ => unreachable!(),
        };
        let (go, gn) = (o.and_then(group_of_old), n.and_then(group_of_new));
        match (go, gn) {
            (None, None) => steps.push(*step),
            // The old clause went into a group (emitted with it); a new
            // clause it was paired with now stands alone.
            (Some(_), None) => steps.extend(n.map(|new| Step::Added { new })),
            (_, Some(g)) => {
                // A pair broken by the group: the old clause stands alone.
                if let (Some(i), None) = (o, go) {
                    steps.push(Step::Removed { old: i });
                }
                if n == Some(g.new.0) {
                    steps.push(if g.old.1 - g.old.0 > 1 {
                        Step::Merged {
                            old_start: g.old.0,
                            old_end: g.old.1,
                            new: g.new.0,
                            similarity: g.similarity,
                        }
                    } else {
                        Step::Split {
                            old: g.old.0,
                            new_start: g.new.0,
                            new_end: g.new.1,
                            similarity: g.similarity,
                        }
                    });
                }
            }
        }
    }
    steps
}

/// One side of a run: its clauses, the indices of them in the run, and who
/// each is paired with (index on the other side, similarity).
type Side<'a> = (&'a [Clause], &'a [usize], &'a HashMap<usize, (usize, f64)>);

/// Runs `a..b` of adjacent `many` clauses that, read together, are one
/// clause `k` of the `one` side: `(a..b, k, similarity)`. Each clause of the
/// run is mostly found in `k` and paired with nothing else, and the run reads
/// closer to `k` than `k`'s own pair.
fn runs_read_as_one(many: Side, one: Side) -> Vec<((usize, usize), usize, f64)> {
    let (many_clauses, many_ix, many_paired) = many;
    let (one_clauses, one_ix, one_paired) = one;
    let mut out = Vec::new();
    for &k in one_ix {
        let inside = |i: usize| {
            many_paired.get(&i).is_none_or(|&(p, _)| p == k)
                && contained(&many_clauses[i], &one_clauses[k])
        };
        let floor = one_paired.get(&k).map_or(0.0, |&(_, s)| s);
        for (a, b) in adjacent_runs(many_ix, inside) {
            let words: Vec<u32> = many_clauses[a..b]
                .iter()
                .flat_map(|c| c.words.clone())
                .collect();
            let s = sequence_ratio(&words, &one_clauses[k].words);
            if s >= MERGE_THRESHOLD && s > floor {
                out.push(((a, b), k, s));
            }
        }
    }
    out
}

/// The maximal ranges `a..b` of two to [`MAX_GROUP`] consecutive integers,
/// all in `sorted` and all `inside`.
fn adjacent_runs(sorted: &[usize], inside: impl Fn(usize) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut run: Option<(usize, usize)> = None;
    let mut close = |run: Option<(usize, usize)>| {
        if let Some((a, b)) = run.filter(|(a, b)| b - a >= 2) {
            out.push((a, b.min(a + MAX_GROUP)));
        }
    };
    for &k in sorted {
        run = match run {
            Some((a, b)) if b == k && inside(k) => Some((a, k + 1)),
            _ => {
                close(run);
                inside(k).then_some((k, k + 1))
            }
        };
    }
    close(run);
    out
}

/// Whether most of `part`'s words (as a multiset) are found in `whole`:
/// the cheap test for a clause that went into a merge or came of a split.
fn contained(part: &Clause, whole: &Clause) -> bool {
    !part.bag.is_empty() && 10 * common_in_bags(&part.bag, &whole.bag) >= 7 * part.bag.len()
}

/// A clause as word ids: the sequence, and the same ids sorted (for a cheap
/// upper bound on the similarity).
struct Clause {
    words: Vec<u32>,
    bag: Vec<u32>,
}

#[derive(Default)]
struct Vocab(HashMap<String, u32>);

impl Vocab {
    fn ids(&mut self, text: &str) -> Vec<u32> {
        words(text)
            .into_iter()
            .map(|w| {
                let next = self.0.len() as u32;
                *self.0.entry(w).or_insert(next)
            })
            .collect()
    }

    fn clause(&mut self, text: &str) -> Clause {
        let words = self.ids(text);
        let mut bag = words.clone();
        bag.sort_unstable();
        Clause { words, bag }
    }
}

fn sequence_ratio(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    2.0 * common_words(a, b) as f64 / (a.len() + b.len()) as f64
}

/// Length of the longest common subsequence of two word sequences.
fn common_words(a: &[u32], b: &[u32]) -> usize {
    capture_diff_slices(Algorithm::Myers, a, b)
        .iter()
        .map(|op| match op {
            DiffOp::Equal { len, .. } => *len,
            _ => 0,
        })
        .sum()
}

/// Dice coefficient of the two word multisets: an upper bound on
/// [`sequence_ratio`], since a common subsequence is a common sub-multiset.
fn bag_dice(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    2.0 * common_in_bags(a, b) as f64 / (a.len() + b.len()) as f64
}

/// Size of the common sub-multiset of two sorted word lists.
fn common_in_bags(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common
}

/// Similarity when it reaches the threshold with at least
/// [`MIN_COMMON_WORDS`] words in common, else `None`.
fn close(a: &Clause, b: &Clause) -> Option<f64> {
    if bag_dice(&a.bag, &b.bag) < CHANGED_THRESHOLD {
        return None;
    }
    let common = common_words(&a.words, &b.words);
    let s = 2.0 * common as f64 / (a.words.len() + b.words.len()) as f64;
    (s >= CHANGED_THRESHOLD && common >= MIN_COMMON_WORDS).then_some(s)
}

/// Order-preserving pairs `(i, j, similarity)` that maximise the total
/// similarity (dynamic programming, no gap penalty).
fn align_gap(old: &[Clause], new: &[Clause]) -> Vec<(usize, usize, f64)> {
    if old.is_empty() || new.is_empty() {
        return Vec::new();
    }
    let (n, m) = (old.len(), new.len());
    let sim: Vec<Option<f64>> = old
        .iter()
        .flat_map(|a| new.iter().map(move |b| close(a, b)))
        .collect();
    // best[i][j]: best total over old[..i], new[..j].
    let w = m + 1;
    let mut best = vec![0.0f64; (n + 1) * w];
    for i in 1..=n {
        for j in 1..=m {
            let mut v = best[(i - 1) * w + j].max(best[i * w + j - 1]);
            if let Some(s) = sim[(i - 1) * m + j - 1] {
                v = v.max(best[(i - 1) * w + j - 1] + s);
            }
            best[i * w + j] = v;
        }
    }
    let mut pairs = Vec::new();
    let (mut i, mut j) = (n, m);
    while i > 0 && j > 0 {
        let here = best[i * w + j];
        match sim[(i - 1) * m + j - 1] {
            Some(s) if here == best[(i - 1) * w + j - 1] + s => {
                pairs.push((i - 1, j - 1, s));
                i -= 1;
                j -= 1;
            }
            _ if here == best[(i - 1) * w + j] => i -= 1,
            _ => j -= 1,
        }
    }
    pairs.reverse();
    pairs
}

/// Pairs among the clauses not yet aligned: equal word sequences first (in
/// order), then the most similar pairs at or above the threshold, greedily.
fn match_moved(
    old: &[Clause],
    new: &[Clause],
    old_done: &[bool],
    new_done: &[bool],
) -> Vec<(usize, usize, f64)> {
    let mut old_left: Vec<usize> = (0..old.len()).filter(|&i| !old_done[i]).collect();
    let mut new_left: Vec<usize> = (0..new.len()).filter(|&j| !new_done[j]).collect();
    let mut pairs = Vec::new();
    let mut by_words: HashMap<&[u32], Vec<usize>> = HashMap::new();
    for &i in old_left.iter().rev() {
        by_words.entry(&old[i].words).or_default().push(i);
    }
    new_left.retain(
        |&j| match by_words.get_mut(new[j].words.as_slice()).and_then(Vec::pop) {
            Some(i) => {
                pairs.push((i, j, 1.0));
                false
            }
            None => true,
        },
    );
    old_left.retain(|i| !pairs.iter().any(|p| p.0 == *i));

    let mut candidates: Vec<(usize, usize, f64)> = old_left
        .iter()
        .flat_map(|&i| {
            new_left
                .iter()
                .filter_map(move |&j| close(&old[i], &new[j]).map(|s| (i, j, s)))
        })
        .collect();
    candidates.sort_by(|a, b| b.2.total_cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1))));
    let (mut old_taken, mut new_taken) = (vec![false; old.len()], vec![false; new.len()]);
    for (i, j, s) in candidates {
        if !old_taken[i] && !new_taken[j] {
            old_taken[i] = true;
            new_taken[j] = true;
            pairs.push((i, j, s));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: [&str; 5] = [
        "We collect your e-mail address and a password when you create an account.",
        "We share photos with cloud storage providers that host them for us.",
        "Analytics cookies are set only if you consent to them.",
        "We keep your photos until you delete your account.",
        "Write to privacy@lumen.example with any question about this policy.",
    ];

    fn edited(i: usize, text: &str) -> Vec<String> {
        let mut v: Vec<String> = POLICY.iter().map(|s| s.to_string()).collect();
        v[i] = text.to_string();
        v
    }

    #[test]
    fn identical_versions_are_all_unchanged() {
        let steps = align(&POLICY, &POLICY);
        let want: Vec<Step> = (0..5).map(|i| Step::Unchanged { old: i, new: i }).collect();
        assert_eq!(steps, want);
    }

    #[test]
    fn whitespace_case_and_markers_are_not_edits() {
        let new = edited(
            2,
            "- ANALYTICS cookies are set   only\nif you consent to them;",
        );
        assert!(align(&POLICY, &new)
            .iter()
            .all(|s| matches!(s, Step::Unchanged { .. })));
    }

    #[test]
    fn one_word_edited_is_changed_with_high_similarity() {
        let new = edited(3, "We keep your photos until you close your account.");
        let steps = align(&POLICY, &new);
        assert_eq!(steps.len(), 5);
        match steps[3] {
            Step::Changed {
                old: 3,
                new: 3,
                similarity,
            } => assert!(
                similarity > CHANGED_THRESHOLD && similarity < 1.0,
                "{similarity}"
            ),
            other => panic!("{other:?}"),
        }
        for (i, s) in steps.iter().enumerate().filter(|(i, _)| *i != 3) {
            assert_eq!(*s, Step::Unchanged { old: i, new: i });
        }
    }

    #[test]
    fn a_deleted_clause_is_removed_in_place() {
        let new: Vec<&str> = POLICY
            .iter()
            .copied()
            .filter(|s| !s.contains("keep"))
            .collect();
        let steps = align(&POLICY, &new);
        assert_eq!(
            steps,
            vec![
                Step::Unchanged { old: 0, new: 0 },
                Step::Unchanged { old: 1, new: 1 },
                Step::Unchanged { old: 2, new: 2 },
                Step::Removed { old: 3 },
                Step::Unchanged { old: 4, new: 3 },
            ]
        );
    }

    #[test]
    fn an_inserted_clause_is_added() {
        let mut new = POLICY.to_vec();
        new.insert(
            1,
            "Face Grouping computes face geometry templates from your photos.",
        );
        let steps = align(&POLICY, &new);
        assert_eq!(steps[1], Step::Added { new: 1 });
        assert_eq!(steps.len(), 6);
        assert_eq!(
            steps
                .iter()
                .filter(|s| matches!(s, Step::Unchanged { .. }))
                .count(),
            5
        );
    }

    #[test]
    fn a_lead_in_and_its_items_set_as_one_paragraph_are_merged() {
        let old = [
            POLICY[0],
            "If you live in the United States:",
            "Data controller: Lumen Photos, Inc.",
            "Address: 1 Main Street, Springfield",
            "Data protection officer: dpo@lumen.example",
            POLICY[4],
        ];
        let new = [
            POLICY[0],
            "If you live in the United States: - Data controller: Lumen Photos, Inc. \
             - Address: 1 Main Street, Springfield - Data protection officer: dpo@lumen.example",
            POLICY[4],
        ];
        let steps = align(&old, &new);
        assert_eq!(
            steps[1],
            Step::Merged {
                old_start: 1,
                old_end: 5,
                new: 1,
                similarity: 1.0
            },
            "{steps:?}"
        );
        assert_eq!(steps.len(), 3, "{steps:?}");
        // The other way round it is a split.
        let back = align(&new, &old);
        assert_eq!(
            back[1],
            Step::Split {
                old: 1,
                new_start: 1,
                new_end: 5,
                similarity: 1.0
            },
            "{back:?}"
        );
        assert_eq!(back.len(), 3, "{back:?}");
        assert_each_index_once(&steps, old.len(), new.len());
        assert_each_index_once(&back, new.len(), old.len());
    }

    #[test]
    fn unrelated_neighbours_are_not_merged() {
        // Two clauses removed and one added in their place, sharing a few words.
        let old = [POLICY[0], POLICY[1], POLICY[2], POLICY[4]];
        let new = [
            POLICY[0],
            "We share photos with printing partners when you order prints.",
            POLICY[4],
        ];
        let steps = align(&old, &new);
        assert!(
            !steps
                .iter()
                .any(|s| matches!(s, Step::Merged { .. } | Step::Split { .. })),
            "{steps:?}"
        );
        assert_each_index_once(&steps, old.len(), new.len());
    }

    #[test]
    fn a_reordered_clause_is_moved_not_removed_and_added() {
        let mut new = POLICY.to_vec();
        let c = new.remove(0);
        new.push(c);
        let steps = align(&POLICY, &new);
        assert!(
            steps.contains(&Step::Moved {
                old: 0,
                new: 4,
                similarity: 1.0
            }),
            "{steps:?}"
        );
        assert_eq!(steps.len(), 5, "{steps:?}");
        assert_eq!(
            steps.last(),
            Some(&Step::Moved {
                old: 0,
                new: 4,
                similarity: 1.0
            })
        );
    }

    #[test]
    fn an_unrelated_rewrite_is_removed_and_added() {
        let new = edited(1, "Our offices are closed on public holidays in Scotland.");
        let steps = align(&POLICY, &new);
        assert!(steps.contains(&Step::Removed { old: 1 }), "{steps:?}");
        assert!(steps.contains(&Step::Added { new: 1 }), "{steps:?}");
        assert_eq!(steps.len(), 6);
    }

    #[test]
    fn fuzzy_pairs_keep_order_and_prefer_the_closer_clause() {
        let old = ["alpha beta gamma delta", "one two three four"];
        let new = [
            "alpha beta gamma epsilon",
            "alpha beta gamma delta zeta",
            "one two three five",
        ];
        let steps = align(&old, &new);
        assert!(matches!(steps[0], Step::Added { new: 0 }), "{steps:?}");
        assert!(matches!(steps[1], Step::Changed { old: 0, new: 1, .. }));
        assert!(matches!(steps[2], Step::Changed { old: 1, new: 2, .. }));
    }

    #[test]
    fn fragments_sharing_one_word_are_not_paired() {
        let steps = align(&["or Airbnb"], &["or"]);
        assert_eq!(
            steps,
            vec![Step::Removed { old: 0 }, Step::Added { new: 0 }]
        );
    }

    #[test]
    fn similarity_counts_shared_words_in_order() {
        assert_eq!(similarity("a b c d", "A, b. c; d"), 1.0);
        assert_eq!(similarity("a b c d", "e f g h"), 0.0);
        assert_eq!(similarity("a b c d", "a b x y"), 0.5);
        // Same words, reversed order: only one of them in common order.
        assert_eq!(similarity("a b", "b a"), 0.5);
        assert_eq!(similarity("", ""), 1.0);
    }

    #[test]
    fn every_index_appears_once() {
        let old = ["a b c", "d e f", "g h i", "j k l", "a b c"];
        let new = ["g h i", "a b x", "m n o", "d e f", "a b c", "p q r"];
        assert_each_index_once(&align(&old, &new), old.len(), new.len());
        // With merges and splits among the changes.
        let old = ["a b c", "d e f", "g h i", "j k l", "m n o p", "q r"];
        let new = ["a b c d e f", "g h i", "j k", "l", "q r m n o p"];
        let steps = align(&old, &new);
        assert!(
            steps.iter().any(|s| matches!(s, Step::Merged { .. })),
            "{steps:?}"
        );
        assert!(
            steps.iter().any(|s| matches!(s, Step::Split { .. })),
            "{steps:?}"
        );
        assert_each_index_once(&steps, old.len(), new.len());
    }

    fn assert_each_index_once(steps: &[Step], n_old: usize, n_new: usize) {
        let mut olds = Vec::new();
        let mut news = Vec::new();
        for s in steps {
            match *s {
                Step::Unchanged { old, new }
                | Step::Changed { old, new, .. }
                | Step::Moved { old, new, .. } => {
                    olds.push(old);
                    news.push(new);
                }
                Step::Removed { old } => olds.push(old),
                Step::Added { new } => news.push(new),
                Step::Merged {
                    old_start,
                    old_end,
                    new,
                    ..
                } => {
                    olds.extend(old_start..old_end);
                    news.push(new);
                }
                Step::Split {
                    old,
                    new_start,
                    new_end,
                    ..
                } => {
                    olds.push(old);
                    news.extend(new_start..new_end);
                }
            }
        }
        olds.sort();
        news.sort();
        assert_eq!(olds, (0..n_old).collect::<Vec<_>>(), "{steps:?}");
        assert_eq!(news, (0..n_new).collect::<Vec<_>>(), "{steps:?}");
    }
}
