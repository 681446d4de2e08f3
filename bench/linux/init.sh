#!/bin/busybox sh
# shellcheck shell=dash
# /init of the Linux baseline initramfs for ./k42 bench (built by
# tools/bench_linux.py). With lbench=1 on the kernel command line it runs the
# benchmark program (which powers off), with lscal=1 the scalability one
# (bench/linux/lscal.c); otherwise it starts an interactive
# busybox shell whose prompt marks "booted to shell".
export PATH=/bin
if [ -n "$lbench" ]; then
	exec /bin/lbench
fi
if [ -n "$lscal" ]; then
	exec /bin/lscal
fi
export PS1='LINUX-SHELL# '
exec /bin/busybox sh -i
