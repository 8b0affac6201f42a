//! Fixes: what to change in the definitions, and the edits that change it. `plan` turns a
//! check's inventory and the usage logs into least-privilege suggestions per token; `edit`
//! applies them to the definition files as text (comments and layout kept) and prints a
//! unified diff.

pub mod edit;
pub mod plan;
