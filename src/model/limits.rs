//! Size limits checked at submission, so that no body can exhaust a worker.

/// Configurable size limits of a request body. Defaults are sized for real networks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most nodes.
    pub max_nodes: usize,
    /// Most links.
    pub max_links: usize,
    /// Most policies of a list body.
    pub max_policies: usize,
    /// Most entries of `global.algorithm`.
    pub max_algorithms: usize,
    /// Largest `top`.
    pub max_top: u32,
    /// Most waypoints (`inc`) of one policy.
    pub max_waypoints: usize,
    /// Most elements of any other list of a body (`exc`, `srlg`, `qos_class`, `prefix`,
    /// `congested_link`, and each level of a `path`).
    pub max_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nodes: 100_000,
            max_links: 400_000,
            max_policies: 100_000,
            max_algorithms: 16,
            max_top: 1_000,
            max_waypoints: 32,
            max_items: 10_000,
        }
    }
}
