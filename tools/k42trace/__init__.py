"""k42trace: the host side of k42 tracing. Reads dump files of the per-CPU
trace buffers and turns them into a text listing, a Chrome/Perfetto trace,
a summary and PNG plots. Stdlib only. See docs/tracing.md."""
