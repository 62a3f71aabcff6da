//! The side-by-side table, printed and written into this benchmark's own section of
//! docs/BENCHMARKS.md (the other sections stay as they are).

use std::fmt::Write as _;

/// One ef_search value, both indexes (best queries/s of the rounds).
pub struct Row {
    pub ef: usize,
    pub ours_recall: f64,
    pub ours_qps: f64,
    pub lib_recall: f64,
    pub lib_qps: f64,
    pub lib_qps_batch: f64,
}

pub fn table(rows: &[Row]) -> String {
    let mut t = String::from(
        "| ef_search | Web+ recall@10 | Web+ q/s | hnswlib recall@10 | hnswlib q/s | Web+ / hnswlib | \
         hnswlib q/s, one batch call |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            t,
            "| {} | {:.3} | {:.0} | {:.3} | {:.0} | {:.2}× | {:.0} |",
            r.ef,
            r.ours_recall,
            r.ours_qps,
            r.lib_recall,
            r.lib_qps,
            r.ours_qps / r.lib_qps,
            r.lib_qps_batch
        );
    }
    t
}

/// Queries/s of the cheapest sweep point that reaches `recall`, for (ours, hnswlib).
pub fn at_recall(rows: &[Row], recall: f64) -> (Option<&Row>, Option<&Row>) {
    (rows.iter().find(|r| r.ours_recall >= recall), rows.iter().find(|r| r.lib_recall >= recall))
}
