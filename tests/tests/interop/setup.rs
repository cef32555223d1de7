//! Setup figures for the benchmark: flights and virtual time to the first data-channel message.
