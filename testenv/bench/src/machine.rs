//! The machine a run happened on, as the report states it: cores, memory, CPU model, OS and
//! toolchain, read from `/proc`, `/etc/os-release` and `rustc`.

use std::process::Command;

/// What the report says about the machine.
#[derive(Clone, Debug, Default)]
pub struct Machine {
    pub cores: usize,
    pub memory_gib: f64,
    pub cpu_model: String,
    pub os: String,
    pub kernel: String,
    pub rustc: String,
}

impl Machine {
    /// Reads the facts; any that cannot be read stays empty or zero.
    pub fn describe() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let rustc = Command::new("rustc")
            .arg("--version")
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
            .unwrap_or_default();
        Machine {
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            memory_gib: mem_total_kib(&meminfo) as f64 / (1024.0 * 1024.0),
            cpu_model: field(&cpuinfo, "model name").unwrap_or_default(),
            os: field(&os_release, "PRETTY_NAME")
                .map(|name| name.trim_matches('"').to_owned())
                .unwrap_or_default(),
            kernel: kernel.trim().to_owned(),
            rustc,
        }
    }

    /// One line for the report.
    pub fn line(&self) -> String {
        format!(
            "{} cores ({}), {:.1} GiB memory, {}, Linux {}, {}",
            self.cores, self.cpu_model, self.memory_gib, self.os, self.kernel, self.rustc
        )
    }
}

/// The value after the first `name:` or `name=` line.
fn field(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.trim_start();
        let value = rest.strip_prefix(':').or_else(|| rest.strip_prefix('='))?;
        Some(value.trim().to_owned())
    })
}

fn mem_total_kib(meminfo: &str) -> u64 {
    field(meminfo, "MemTotal")
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_from_proc_and_os_release_shapes() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n";
        assert_eq!(
            field(cpuinfo, "model name").as_deref(),
            Some("AMD EPYC 7B13")
        );
        let os = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            field(os, "PRETTY_NAME").as_deref(),
            Some("\"Debian GNU/Linux 12 (bookworm)\"")
        );
        assert_eq!(mem_total_kib("MemTotal:       24576000 kB\n"), 24_576_000);
    }
}
