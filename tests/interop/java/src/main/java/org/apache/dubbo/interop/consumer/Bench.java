package org.apache.dubbo.interop.consumer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.dubbo.interop.api.Address;
import org.apache.dubbo.interop.api.InteropService;
import org.apache.dubbo.interop.api.User;

/**
 * Closed-loop load from the Java consumer: T threads, each with one synchronous call in flight, over C
 * connections (--connections). Prints one line:
 * BENCH workload=W threads=T connections=C seconds=S calls=N errors=E qps=Q p50_us=.. p99_us=.. p999_us=..
 */
final class Bench {
    private final Consumer c;
    private final String workload;
    private final int threads;
    private final int warmup;
    private final int duration;

    Bench(Consumer c, String workload, int threads, int warmup, int duration) {
        this.c = c;
        this.workload = workload;
        this.threads = threads;
        this.warmup = warmup;
        this.duration = duration;
    }

    interface Call {
        void call();
    }

    Call call() {
        InteropService s = c.svc;
        switch (workload) {
            case "sayHello":
                return () -> {
                    if (c.demo.sayHello("bench").length() != 11) throw new IllegalStateException("bad answer");
                };
            case "user": {
                User u = new User();
                u.setName("bench user");
                u.setAge(33);
                u.setId(42L);
                u.setAddress(new Address("1 Bench Road", "Loadtown"));
                List<String> tags = new ArrayList<>();
                for (int i = 0; i < 40; i++) tags.add("tag-number-" + i);
                u.setTags(tags);
                u.setFriends(new ArrayList<>(Arrays.asList(new Address("a", "b"), new Address("c", "d"))));
                return () -> {
                    if (s.echoUser(u) == null) throw new IllegalStateException("null");
                };
            }
            case "bytes64k": {
                byte[] b = new byte[64 * 1024];
                return () -> {
                    if (s.echoBytes(b).length != b.length) throw new IllegalStateException("bad length");
                };
            }
            default:
                throw new IllegalArgumentException("unknown workload " + workload + " (sayHello|user|bytes64k)");
        }
    }

    int run() throws InterruptedException {
        Call call = call();
        AtomicLong errors = new AtomicLong();
        long[][] lat = new long[threads][];
        int[] n = new int[threads];
        long start = System.nanoTime();
        long measureFrom = start + warmup * 1_000_000_000L;
        long end = measureFrom + duration * 1_000_000_000L;
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            final int id = t;
            lat[id] = new long[1 << 16];
            Thread th = new Thread(() -> {
                try {
                    while (true) {
                        long t0 = System.nanoTime();
                        if (t0 >= end) break;
                        try {
                            call.call();
                        } catch (RuntimeException e) {
                            errors.incrementAndGet();
                        }
                        long t1 = System.nanoTime();
                        if (t0 >= measureFrom) {
                            if (n[id] == lat[id].length) lat[id] = Arrays.copyOf(lat[id], lat[id].length * 2);
                            lat[id][n[id]++] = t1 - t0;
                        }
                    }
                } finally {
                    done.countDown();
                }
            }, "bench-" + t);
            th.setDaemon(true);
            th.start();
        }
        done.await();
        int total = 0;
        for (int x : n) total += x;
        long[] all = new long[total];
        int k = 0;
        for (int t = 0; t < threads; t++) {
            System.arraycopy(lat[t], 0, all, k, n[t]);
            k += n[t];
        }
        Arrays.sort(all);
        System.out.printf("BENCH workload=%s threads=%d connections=%d seconds=%d calls=%d errors=%d qps=%.0f "
                        + "p50_us=%d p99_us=%d p999_us=%d%n",
                workload, threads, c.connections, duration, total, errors.get(), total / (double) duration,
                pct(all, 0.50), pct(all, 0.99), pct(all, 0.999));
        return errors.get() == 0 && total > 0 ? 0 : 1;
    }

    private static long pct(long[] sorted, double p) {
        if (sorted.length == 0) return -1;
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1000;
    }
}
