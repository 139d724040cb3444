//! What jobs on one held topology revision share (contract §8): the engine's view of the
//! topology, built once, and the IGP shortest-path trees earlier jobs grew, handed to the next
//! job instead of being grown again.
//!
//! A revision derived from another by a change ([`Prepared::derive`]) shares its predecessor's
//! structure when its nodes and links are the same ones (only attributes changed), and keeps
//! the trees the change cannot have affected ([`super::igp::still_exact`]); anything else
//! starts afresh. Either way a job computes exactly what it would on a view built from scratch:
//! the trees are the ones a fresh model would grow, settled further or not.

use std::sync::{Arc, Mutex};

use super::igp::{still_exact, IgpModel, Spt};
use super::policy::Ctx;
use super::topology::{LinkIx, Topology};
use super::Document;
use crate::model::{Job, Request};

/// Memory the kept trees of one revision may take: 17 trees at 10,000 nodes, 174 at 1,000.
/// `pasta serve` holding the 10,000-router topology peaked about 20 MiB higher at 16 MiB, and
/// 30 MiB higher again at 64, with jobs no faster at either (PERFORMANCE.md, "Held topologies").
const TREE_BUDGET: usize = 8 << 20;

/// The shared part of the jobs on one topology.
pub struct Prepared {
    topology: Topology,
    /// Sets of trees of finished jobs, each handed whole to the next job.
    trees: Mutex<Vec<Vec<Spt>>>,
}

impl Prepared {
    /// The view of a request's nodes and links, with no trees yet.
    pub fn new(request: &Request) -> Prepared {
        Prepared {
            topology: Topology::new(request),
            trees: Mutex::new(Vec::new()),
        }
    }

    /// The view of a later revision (`request` holds its nodes and links): the structure
    /// shared and the trees still exact moved over when only attributes changed.
    pub fn derive(&self, request: &Request) -> Prepared {
        let old = &self.topology;
        let new = old.update(request);
        let changed: Vec<LinkIx> = if new.same_structure(old) {
            (0..new.link_count() as LinkIx)
                .filter(|&l| old.igp[l as usize] != new.igp[l as usize])
                .collect()
        } else {
            Vec::new()
        };
        let kept: Vec<Vec<Spt>> = std::mem::take(&mut *self.trees.lock().expect("trees"))
            .into_iter()
            .map(|set| {
                set.into_iter()
                    .filter(|t| still_exact(t, old, &new, &changed))
                    .collect()
            })
            .collect();
        Prepared {
            topology: new,
            trees: Mutex::new(kept),
        }
    }

    /// The engine's view.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// How many trees are kept.
    pub fn kept_trees(&self) -> usize {
        self.trees.lock().expect("trees").iter().map(Vec::len).sum()
    }

    /// Computes a job whose nodes and links are this view's (see [`super::compute`]).
    pub fn compute(&self, job: &Job, now_ms: &dyn Fn() -> f64) -> Document {
        let set = self.trees.lock().expect("trees").pop().unwrap_or_default();
        let igp = IgpModel::with_trees(&self.topology, set);
        let mut ctx = Ctx::with_igp(&self.topology, &job.request, igp);
        let doc = super::run(&mut ctx, job, now_ms);
        self.give_back(ctx.igp.into_trees());
        doc
    }

    /// Keeps a job's trees for the next ones, within the budget.
    fn give_back(&self, mut set: Vec<Spt>) {
        let per_tree = 48 * self.topology.node_count().max(1);
        let most = (TREE_BUDGET / per_tree).max(1);
        let mut sets = self.trees.lock().expect("trees");
        let held: usize = sets.iter().map(Vec::len).sum();
        set.truncate(most.saturating_sub(held));
        if !set.is_empty() {
            sets.push(set);
        }
    }
}

#[cfg(test)]
impl Prepared {
    /// Whether every kept tree, grown whole, is the tree a fresh model grows whole on this
    /// view (distances, counts, what is uncounted): the rule of [`still_exact`] checked
    /// against a rebuild.
    pub fn kept_trees_are_exact(&self) -> bool {
        let topo = &self.topology;
        let mut sets = self.trees.lock().expect("trees");
        let mut fresh = IgpModel::new(topo);
        sets.iter_mut().flatten().all(|kept| {
            kept.ensure(topo, super::igp::FAR);
            let rebuilt = fresh.spt(topo, kept.source, super::igp::FAR);
            let rebuilt = rebuilt.borrow();
            kept.dist == rebuilt.dist
                && kept.count == rebuilt.count
                && kept.uncounted == rebuilt.uncounted
        })
    }
}

/// A shared [`Prepared`].
pub type SharedPrepared = Arc<Prepared>;
