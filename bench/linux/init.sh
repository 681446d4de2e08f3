#!/bin/busybox sh
# shellcheck shell=dash
# /init of the Linux baseline initramfs for ./k42 bench (built by
# tools/bench_linux.py). With lbench=1 on the kernel command line it runs the
# benchmark program (which powers off), with lscal=1 the scalability one
# (bench/linux/lscal.c), with ldisk=1 the disk one (bench/linux/ldisk.c, on
# the virtio disk mounted at /mnt), with lnet=1 it serves the network rows
# (busybox httpd on port 80 of /www, a TCP sink on port 5001) until it is
# killed; otherwise it starts an interactive busybox shell whose prompt
# marks "booted to shell". The virtio and ext4 modules (Debian builds them
# as modules) are in /lib/modules, loaded in the order of load-order.
export PATH=/bin
bb=/bin/busybox
if [ -n "$lbench" ]; then
	exec /bin/lbench
fi
if [ -n "$lscal" ]; then
	exec /bin/lscal
fi
if [ -n "$ldisk" ] || [ -n "$lnet" ]; then
	$bb mkdir -p /dev /proc /sys /mnt
	$bb mount -t devtmpfs dev /dev
	$bb mount -t proc proc /proc
	$bb mount -t sysfs sys /sys
	for m in $($bb cat /lib/modules/load-order); do
		$bb insmod "/lib/modules/$m" || { echo "LINIT error insmod $m"; $bb poweroff -f; }
	done
fi
if [ -n "$ldisk" ]; then
	i=0
	until [ -b /dev/vda ]; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "LINIT error no /dev/vda"; $bb poweroff -f; }
		$bb sleep 0.1
	done
	$bb mount -t ext2 /dev/vda /mnt || { echo "LINIT error mount /dev/vda"; $bb poweroff -f; }
	exec /bin/ldisk
fi
if [ -n "$lnet" ]; then
	i=0
	until $bb ip link set eth0 up 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "LINIT error no eth0"; $bb poweroff -f; }
		$bb sleep 0.1
	done
	$bb ip link set lo up
	$bb ip addr add 10.0.2.15/24 dev eth0
	$bb ip route add default via 10.0.2.2
	$bb mkdir -p /www
	$bb seq 20 > /www/small.txt
	$bb httpd -p 80 -h /www || { echo "LINIT error httpd"; $bb poweroff -f; }
	echo "LNET ready"
	# One sink connection after another: each ends when the host closes,
	# and says how many bytes it read.
	while true; do
		n=$($bb nc -l -p 5001 < /dev/null | $bb wc -c)
		echo "LNET sink got $n"
	done
fi
export PS1='LINUX-SHELL# '
exec /bin/busybox sh -i
