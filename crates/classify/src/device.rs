//! `--device cpu|cuda[:N]|metal|auto` to a candle [`Device`].

use crate::error::{ClassifyError, Result};
use candle_core::Device;

/// Parse a device name. `auto` takes CUDA, then Metal, when the build has
/// them and one is present, else the CPU.
pub fn parse_device(spec: &str) -> Result<Device> {
    let spec = spec.trim().to_ascii_lowercase();
    match spec.as_str() {
        "cpu" => Ok(Device::Cpu),
        "auto" => Ok(auto_device()),
        "metal" => Ok(Device::new_metal(0)?),
        "cuda" => Ok(Device::new_cuda(0)?),
        _ => match spec.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(n)) => Ok(Device::new_cuda(n)?),
            _ => Err(ClassifyError::Device(spec)),
        },
    }
}

fn auto_device() -> Device {
    if candle_core::utils::cuda_is_available() {
        if let Ok(d) = Device::new_cuda(0) {
            return d;
        }
    }
    if candle_core::utils::metal_is_available() {
        if let Ok(d) = Device::new_metal(0) {
            return d;
        }
    }
    Device::Cpu
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_auto_and_rejects_garbage() {
        assert!(parse_device("cpu").unwrap().is_cpu());
        assert!(parse_device("CPU").unwrap().is_cpu());
        parse_device("auto").unwrap();
        assert!(matches!(parse_device("tpu"), Err(ClassifyError::Device(_))));
        assert!(matches!(
            parse_device("cuda:x"),
            Err(ClassifyError::Device(_))
        ));
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_the_feature_is_a_clear_error() {
        let err = parse_device("cuda:0").unwrap_err().to_string();
        assert!(err.to_lowercase().contains("cuda"), "{err}");
    }
}
