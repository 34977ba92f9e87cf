//! `steward-precompress DIR`: beside every text or WebAssembly file under DIR, writes `FILE.br`
//! (Brotli, quality 11) and `FILE.gz` (gzip, level 9), each only when it is smaller than the
//! file. The server sends these as they are to clients that accept them, so the portal is
//! compressed once, at build time, as hard as it can be, and never per request.

use std::io::Write;
use std::path::{Path, PathBuf};

/// What is worth compressing: text and WebAssembly. Images and fonts are compressed already.
const EXTENSIONS: &[&str] = &["html", "js", "mjs", "css", "wasm", "svg", "json", "txt", "map"];

fn main() {
    let Some(directory) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: steward-precompress DIR");
        std::process::exit(2);
    };
    let mut files = Vec::new();
    if let Err(error) = collect(&directory, &mut files) {
        eprintln!("steward-precompress: reading {}: {error}", directory.display());
        std::process::exit(1);
    }
    let (mut before, mut after) = (0u64, 0u64);
    for file in &files {
        match compress(file) {
            Ok((original, brotli)) => {
                before += original;
                after += brotli;
            }
            Err(error) => {
                eprintln!("steward-precompress: {}: {error}", file.display());
                std::process::exit(1);
            }
        }
    }
    println!(
        "precompressed {} files in {}: {} KiB, {} KiB as Brotli",
        files.len(),
        directory.display(),
        before / 1024,
        after / 1024
    );
}

/// The files under `directory` worth compressing (not the compressed copies themselves).
fn collect(directory: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(directory)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| EXTENSIONS.contains(&extension))
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(())
}

/// Writes the copies of one file; answers its size and the size it is sent at to Brotli clients.
fn compress(file: &Path) -> std::io::Result<(u64, u64)> {
    let original = std::fs::read(file)?;
    let mut brotli = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut brotli, 64 * 1024, 11, 22);
        writer.write_all(&original)?;
        writer.flush()?;
    }
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&original)?;
    let gzip = gzip.finish()?;
    let sent = write_if_smaller(file, "br", &brotli, original.len())?;
    write_if_smaller(file, "gz", &gzip, original.len())?;
    Ok((original.len() as u64, sent))
}

/// Writes `FILE.<suffix>` when `compressed` is smaller than the original, else removes any stale
/// copy; answers the size a client accepting it is sent.
fn write_if_smaller(file: &Path, suffix: &str, compressed: &[u8], original: usize) -> std::io::Result<u64> {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    let copy = PathBuf::from(name);
    if compressed.len() < original {
        std::fs::write(&copy, compressed)?;
        Ok(compressed.len() as u64)
    } else {
        match std::fs::remove_file(&copy) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
        Ok(original as u64)
    }
}
