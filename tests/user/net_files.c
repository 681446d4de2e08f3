/*
 * Helper of the network tests (tools/nettest.py): `net_files DIR` writes
 * DIR/empty, 1k, 1m and 16m, each filled with xorshift64 output seeded
 * by its size, which the host side recomputes to check what httpd serves.
 */
#include <string.h>
#include <k42/k42.h>
#include <k42/fs.h>
#include <lib/fmt.h>

static int make(const char *dir, const char *name, uint64_t size)
{
	static uint8_t buf[65536];
	char path[256];
	uint64_t x = size * 0x9E3779B97F4A7C15ull + 1, done = 0;
	int fd;

	k_snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = k42_open(path, K42_O_CREAT | K42_O_TRUNC | K42_O_WRONLY, 0644);
	if (fd < 0)
		return fd;
	while (done < size) {
		uint64_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);

		for (uint64_t i = 0; i < n; i += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(buf + i, &x, 8);
		}
		if (k42_write(fd, buf, n) != (long)n) {
			k42_close(fd);
			return -K42_EIO;
		}
		done += n;
	}
	return k42_close(fd);
}

int main(uint64_t argc)
{
	static const struct { const char *name; uint64_t size; } files[] = {
		{ "empty", 0 }, { "1k", 1024 }, { "1m", 1u << 20 }, { "16m", 16u << 20 },
	};
	const char *dir = argc > 1 ? k42_argv[1] : "/tmp/www";
	int rc = k42_mkdir(dir, 0755);

	if (rc < 0 && rc != -K42_EEXIST) {
		k42_printf("net_files: mkdir %s: %s\n", dir, k42_strerror(rc));
		return 1;
	}
	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if ((rc = make(dir, files[i].name, files[i].size)) < 0) {
			k42_printf("net_files: %s/%s: %s\n", dir, files[i].name, k42_strerror(rc));
			return 1;
		}
	k42_printf("net_files: wrote 4 files in %s\n", dir);
	return 0;
}
