//! Link settings of the server binary.

fn main() {
    // Pack the binary's relative relocations (DT_RELR, glibc 2.36 and
    // binutils 2.38 or later). A position-independent executable carries one
    // relocation for every pointer in its read-only data; written out in
    // full they are about 2.3 MB that the loader reads at every start and
    // that stay resident (docs/PERFORMANCE.md).
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    if linux_gnu {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
