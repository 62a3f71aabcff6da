//! The CPU check at start-up. The build forces AVX, AVX2, FMA and F16C (`.cargo/config.toml`, for
//! the local model's kernels), so on a CPU without one of them the binary would die of SIGILL with
//! no word of why. `main` checks first, before any code compiled with those features runs.

/// The instructions the build requires, as `is_x86_feature_detected!` names them.
#[cfg(target_arch = "x86_64")]
pub fn missing_features() -> Vec<&'static str> {
    let mut missing = Vec::new();
    // Only what this build was compiled for: a build with other flags asks for nothing.
    if cfg!(target_feature = "avx") && !std::arch::is_x86_feature_detected!("avx") {
        missing.push("avx");
    }
    if cfg!(target_feature = "avx2") && !std::arch::is_x86_feature_detected!("avx2") {
        missing.push("avx2");
    }
    if cfg!(target_feature = "fma") && !std::arch::is_x86_feature_detected!("fma") {
        missing.push("fma");
    }
    if cfg!(target_feature = "f16c") && !std::arch::is_x86_feature_detected!("f16c") {
        missing.push("f16c");
    }
    missing
}

#[cfg(not(target_arch = "x86_64"))]
pub fn missing_features() -> Vec<&'static str> {
    Vec::new()
}

/// What to print when `missing` is not empty.
pub fn message(missing: &[&str]) -> String {
    format!(
        "webplus was built for CPUs with {}, and this CPU lacks {}. Rebuild it for this machine: \
         CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS=\"-C target-cpu=native\" make run \
         (that replaces the flags in .cargo/config.toml; the local model runs slower, but runs).",
        "AVX, AVX2, FMA and F16C",
        missing.join(", ").to_uppercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_missing_instructions_and_the_fix() {
        let m = message(&["avx2", "fma"]);
        assert!(m.contains("lacks AVX2, FMA"), "{m}");
        assert!(m.contains("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS=\"-C target-cpu=native\""), "{m}");
    }
}
