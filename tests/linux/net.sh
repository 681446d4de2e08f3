# Busybox's network applets on the Linux personality (tools/lxnettest.py
# boots it with --net-style forwards and drives it from the host): httpd
# serves /tmp/www, nc and wget talk TCP inside the guest, then nc waits
# for a line from the host. Each step prints a line the host checks.
mkdir -p /tmp/www && seq 1000 > /tmp/www/seq.txt && echo '<h1>k42 busybox</h1>' > /tmp/www/index.html
# The network server may still be starting: wait until a socket binds.
i=0
until httpd -p 8000 -h /tmp/www 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "@@httpd failed"; exit 1; }; sleep 0.2
done
echo "@@httpd up"
(echo from-server | nc -l -p 9000 > /tmp/nc.got) &
sleep 1
echo "@@nc client got: $(echo from-client | nc 10.0.2.15 9000)"
wait
echo "@@nc server got: $(cat /tmp/nc.got)"
echo "@@wget: $(wget -q -O - http://10.0.2.15:8000/index.html)"
wget -q -O - http://10.0.2.15:8000/nope 2>&1 | sed 's/^/@@wget missing: /'
nc -l -p 7000 > /tmp/host.got &
sleep 1
echo "@@ready"
wait
sed 's/^/@@from host: /' /tmp/host.got
echo "@@done"
