//! Being written (see the project's issue list).
