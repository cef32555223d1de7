//! An audio (Opus) and a video (VP8) track flow both ways and arrive as whole frames,
//! depacketized by the receiving stack.
