//! Token definitions ("tokens as code", SPEC §2): the typed documents as users write them, and
//! the loader that turns a file into them with every key and value spanned.

mod load;
mod types;

pub use load::{
    KEY_SHAPED, Keep, LoadedFile, SecretHit, Staged, TokenStage, load_staged, load_text, scan_only,
};
pub use types::*;
