//! AMX tiles shared by the int8 products and bf16 attention: the one tile
//! configuration (eight tiles of 16 rows × 64 bytes), asking Linux for the
//! tile-data state, and loading and releasing it on a thread. Rust has no
//! stable AMX intrinsics, so the kernels that use the tiles write their
//! instructions as inline assembly; compiled code never touches the tiles.

use std::arch::asm;
use std::sync::OnceLock;

/// Eight tiles of 16 rows × 64 bytes: 16×64 int8, 16×32 bf16 or 16×16
/// f32/i32. Each kernel says which tiles it uses for what.
#[repr(C, align(64))]
struct TileConfig {
    palette: u8,
    start_row: u8,
    reserved: [u8; 14],
    bytes_per_row: [u16; 16],
    rows: [u8; 16],
}

static CONFIG: TileConfig = {
    let mut bytes_per_row = [0u16; 16];
    let mut rows = [0u8; 16];
    let mut t = 0;
    while t < 8 {
        bytes_per_row[t] = 64;
        rows[t] = 16;
        t += 1;
    }
    TileConfig {
        palette: 1,
        start_row: 0,
        reserved: [0; 14],
        bytes_per_row,
        rows,
    }
};

/// CPUID leaf 7, EDX bits: AMX-BF16, AMX-TILE, AMX-INT8.
const AMX_BF16: u32 = 1 << 22;
const AMX_TILE: u32 = 1 << 24;
const AMX_INT8: u32 = 1 << 25;

/// The AMX bits of CPUID leaf 7 when Linux grants this process the
/// tile-data state (asked once), else 0.
fn granted_bits() -> u32 {
    static GRANTED: OnceLock<u32> = OnceLock::new();
    *GRANTED.get_or_init(|| {
        let edx = std::arch::x86_64::__cpuid_count(7, 0).edx;
        if edx & AMX_TILE != 0 && request_tile_state() {
            edx
        } else {
            0
        }
    })
}

/// Whether the CPU has AMX tiles with int8 products and the OS grants them.
pub fn int8_available() -> bool {
    granted_bits() & AMX_INT8 != 0
}

/// Whether the CPU has AMX tiles with bf16 products and the OS grants them.
pub fn bf16_available() -> bool {
    granted_bits() & AMX_BF16 != 0
}

#[cfg(target_os = "linux")]
fn request_tile_state() -> bool {
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: a plain system call with integer arguments.
    unsafe {
        libc::syscall(
            libc::SYS_arch_prctl,
            ARCH_REQ_XCOMP_PERM,
            XFEATURE_XTILEDATA,
        ) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn request_tile_state() -> bool {
    false
}

/// Load the tile configuration on this thread.
///
/// # Safety
/// [`int8_available`] or [`bf16_available`] must have returned true.
pub unsafe fn configure() {
    asm!("ldtilecfg [{}]", in(reg) &CONFIG, options(nostack, readonly));
}

/// Release this thread's tiles.
///
/// # Safety
/// As [`configure`].
pub unsafe fn release() {
    asm!("tilerelease", options(nostack, nomem));
}
