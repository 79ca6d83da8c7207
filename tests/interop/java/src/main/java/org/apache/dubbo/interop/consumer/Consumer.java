package org.apache.dubbo.interop.consumer;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import org.apache.dubbo.config.ApplicationConfig;
import org.apache.dubbo.config.MethodConfig;
import org.apache.dubbo.config.ReferenceConfig;
import org.apache.dubbo.config.RegistryConfig;
import org.apache.dubbo.config.bootstrap.DubboBootstrap;
import org.apache.dubbo.demo.DemoService;
import org.apache.dubbo.interop.api.Address;
import org.apache.dubbo.interop.api.Color;
import org.apache.dubbo.interop.api.InteropService;
import org.apache.dubbo.interop.api.User;
import org.apache.dubbo.rpc.RpcException;
import org.apache.dubbo.rpc.service.EchoService;
import org.apache.dubbo.rpc.service.GenericService;

/**
 * The interop test driver "Java consumer -> (Java or Rust) provider".
 *
 * Prints one line per case, "CASE name PASS|FAIL detail", then "N passed, M failed"; exit 1 if any
 * case failed. Run with --help for the options.
 */
public final class Consumer {
    static final String USAGE = String.join("\n",
            "usage: Consumer [options]",
            "  --registry ADDR          zookeeper://127.0.0.1:2181 (default)",
            "  --mode default|force-interface   force-interface sets dubbo.application.migration.step=FORCE_INTERFACE",
            "  --url dubbo://host:port  direct connection (no registry). A 127.x/localhost host is replaced by a",
            "                           loopback host name (Dubbo would dial the NIC address instead)",
            "  --cases all|a,b,pre*     cases to run (default all); --list prints the names",
            "  --expect-provider java|rust|any|both   who must answer whoAmI (default any; both = mixed fleet)",
            "  --timeout MS             reference timeout (default 5000)",
            "  --sleep-timeout MS       timeout of the sleep() method for the timeout case (default 500)",
            "  --retries N              reference retries (default 0, so failures are not hidden; Dubbo default 2)",
            "  --wait-ms MS             wait this long for providers to appear (default 30000)",
            "  --app NAME               application name (default java-interop-consumer)",
            "  --count N                run the selected cases N times (only failures printed after the first)",
            "  --heartbeat MS           client heartbeat interval (reference parameter heartbeat)",
            "  --linger MS              stay connected this long after the cases (e.g. to see a heartbeat)",
            "  --bench W                load mode instead of cases: W = sayHello|user|bytes64k",
            "  --threads T --connections C --warmup S --duration S   bench settings (64, 1, 3, 10)");

    // ---------------------------------------------------------------- options
    final String registry;
    final String mode;
    final String url;
    final String casesArg;
    final String expect;
    final int timeout;
    final int sleepTimeout;
    final int retries;
    final long waitMs;
    final String app;
    final int count;
    final String heartbeat;
    final long linger;

    DemoService demo;
    InteropService svc;
    InteropService v1;
    InteropService v2;
    GenericService generic;
    GenericService genericDemo;
    final List<ReferenceConfig<?>> refs = new ArrayList<>();

    int passed;
    int failed;
    int iteration;

    Consumer(String[] a) {
        registry = opt(a, "registry", "zookeeper://127.0.0.1:2181");
        mode = opt(a, "mode", "default");
        url = loopbackUrl(opt(a, "url", null));
        casesArg = opt(a, "cases", "all");
        expect = opt(a, "expect-provider", "any");
        timeout = Integer.parseInt(opt(a, "timeout", "5000"));
        sleepTimeout = Integer.parseInt(opt(a, "sleep-timeout", "500"));
        retries = Integer.parseInt(opt(a, "retries", "0"));
        waitMs = Long.parseLong(opt(a, "wait-ms", "30000"));
        app = opt(a, "app", "java-interop-consumer");
        count = Integer.parseInt(opt(a, "count", "1"));
        heartbeat = opt(a, "heartbeat", null);
        linger = Long.parseLong(opt(a, "linger", "0"));
        connections = Integer.parseInt(opt(a, "connections", "1"));
    }

    public static void main(String[] args) throws Exception {
        if (has(args, "--help") || has(args, "-h")) {
            System.out.println(USAGE);
            return;
        }
        Consumer c = new Consumer(args);
        if (has(args, "--list")) {
            c.listOnly = true;
            c.runCases();
            return;
        }
        if (!c.mode.equals("default") && !c.mode.equals("force-interface")) {
            System.err.println("bad --mode " + c.mode + "\n" + USAGE);
            System.exit(2);
        }
        if (c.mode.equals("force-interface")) {
            System.setProperty("dubbo.application.migration.step", "FORCE_INTERFACE");
        }
        c.start();
        int rc;
        String bench = opt(args, "bench", null);
        if (bench != null) {
            rc = new Bench(c, bench, Integer.parseInt(opt(args, "threads", "64")),
                    Integer.parseInt(opt(args, "warmup", "3")), Integer.parseInt(opt(args, "duration", "10"))).run();
        } else {
            for (c.iteration = 1; c.iteration <= c.count; c.iteration++) {
                c.runCases();
            }
            c.printDiscovery();
            System.out.println(c.passed + " passed, " + c.failed + " failed");
            rc = c.failed == 0 ? 0 : 1;
        }
        System.out.flush();
        if (c.linger > 0) Thread.sleep(c.linger);
        // Close the ZooKeeper session (removes our ephemeral consumer znodes at once), then exit without
        // waiting for Dubbo's shutdown hook. A failed stop must not change the verdict.
        long t0 = System.nanoTime();
        try {
            DubboBootstrap.getInstance().stop();
        } catch (RuntimeException e) {
            System.err.println("# dubbo stop failed: " + e);
        }
        System.err.println("# dubbo stopped in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        Runtime.getRuntime().halt(rc);
    }

    // ---------------------------------------------------------------- bootstrap
    int connections;

    <T> ReferenceConfig<T> ref(Class<T> iface, String version, String group) {
        ReferenceConfig<T> r = new ReferenceConfig<>();
        r.setInterface(iface);
        common(r, version, group);
        return r;
    }

    void common(ReferenceConfig<?> r, String version, String group) {
        if (version != null) r.setVersion(version);
        if (group != null) r.setGroup(group);
        r.setTimeout(timeout);
        r.setRetries(retries);
        r.setCheck(false);
        if (connections > 1) r.setConnections(connections);
        if (url != null) r.setUrl(url);
        if (heartbeat != null) {
            Map<String, String> p = new HashMap<>();
            p.put("heartbeat", heartbeat);
            r.setParameters(p);
        }
        refs.add(r);
    }

    void start() {
        ApplicationConfig application = new ApplicationConfig(app);
        application.setQosEnable(false);

        ReferenceConfig<DemoService> demoRef = ref(DemoService.class, null, null);
        ReferenceConfig<InteropService> svcRef = ref(InteropService.class, null, null);
        MethodConfig sleep = new MethodConfig();
        sleep.setName("sleep");
        sleep.setTimeout(sleepTimeout);
        sleep.setRetries(0);
        MethodConfig oneway = new MethodConfig();
        oneway.setName("recordOneway");
        oneway.setReturn(false);
        svcRef.setMethods(Arrays.asList(sleep, oneway));
        ReferenceConfig<InteropService> v1Ref = ref(InteropService.class, "1.0.0", "g1");
        ReferenceConfig<InteropService> v2Ref = ref(InteropService.class, "2.0.0", "g2");
        ReferenceConfig<GenericService> genRef = new ReferenceConfig<>();
        genRef.setInterface(InteropService.class.getName());
        genRef.setGeneric("true");
        common(genRef, null, null);
        ReferenceConfig<GenericService> genDemoRef = new ReferenceConfig<>();
        genDemoRef.setInterface(DemoService.class.getName());
        genDemoRef.setGeneric("true");
        common(genDemoRef, null, null);

        DubboBootstrap b = DubboBootstrap.getInstance().application(application);
        b.registry(new RegistryConfig(url != null ? "N/A" : registry));
        for (ReferenceConfig<?> r : refs) b.reference(r);
        b.start();

        demo = demoRef.get();
        svc = svcRef.get();
        v1 = v1Ref.get();
        v2 = v2Ref.get();
        generic = genRef.get();
        genericDemo = genDemoRef.get();

        long deadline = System.currentTimeMillis() + waitMs;
        for (ReferenceConfig<?> r : refs) {
            while (System.currentTimeMillis() < deadline) {
                try {
                    if (r.getInvoker() != null && r.getInvoker().isAvailable()) break;
                } catch (RuntimeException ignored) {
                    // not ready yet
                }
                sleepQuietly(100);
            }
        }
        System.out.println("# java consumer: mode=" + mode + (url != null ? " url=" + url : " registry=" + registry)
                + " timeout=" + timeout + " retries=" + retries + " expect-provider=" + expect
                + " dubbo=" + org.apache.dubbo.common.Version.getVersion() + " ready-after="
                + java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() + "ms");
    }

    // ---------------------------------------------------------------- case machinery
    interface Body {
        String run() throws Throwable;
    }

    static final class Fail extends RuntimeException {
        Fail(String m) {
            super(m);
        }
    }

    boolean listOnly;
    Set<String> selected;

    boolean wanted(String name) {
        if (casesArg.equals("all")) return true;
        if (selected == null) {
            selected = new HashSet<>(Arrays.asList(casesArg.split(",")));
        }
        for (String s : selected) {
            s = s.trim();
            if (s.equals(name)) return true;
            if (s.endsWith("*") && name.startsWith(s.substring(0, s.length() - 1))) return true;
        }
        return false;
    }

    void c(String name, Body body) {
        if (!wanted(name)) return;
        if (listOnly) {
            System.out.println(name);
            return;
        }
        long t0 = System.nanoTime();
        String result;
        boolean ok;
        try {
            String d = body.run();
            ok = true;
            result = d == null ? "" : d;
        } catch (Fail f) {
            ok = false;
            result = f.getMessage();
        } catch (Throwable t) {
            ok = false;
            result = "unexpected " + describe(t);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (ok) passed++;
        else failed++;
        if (iteration <= 1 || !ok) {
            System.out.println("CASE " + name + " " + (ok ? "PASS" : "FAIL") + " " + oneLine(result)
                    + " (" + ms + " ms)" + (count > 1 ? " [iter " + iteration + "]" : ""));
            System.out.flush();
        }
    }

    static String oneLine(String s) {
        s = s.replace('\n', ' ').replace('\r', ' ');
        return s.length() > 400 ? s.substring(0, 400) + "..." : s;
    }

    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        int depth = 0;
        while (t != null && depth++ < 4) {
            if (sb.length() > 0) sb.append(" <- caused by ");
            String m = String.valueOf(t.getMessage());
            sb.append(t.getClass().getName()).append(": ").append(m.length() > 300 ? m.substring(0, 300) + "..." : m);
            if (t.getCause() == t) break;
            t = t.getCause();
        }
        return sb.toString();
    }

    static String show(Object o) {
        String s;
        if (o == null) s = "null";
        else if (o instanceof byte[]) s = "byte[" + ((byte[]) o).length + "]";
        else if (o instanceof Object[]) s = Arrays.deepToString((Object[]) o);
        else if (o instanceof int[]) s = Arrays.toString((int[]) o);
        else if (o instanceof String && ((String) o).length() > 60) s = "String(len=" + ((String) o).length() + ")";
        else s = o.toString() + " (" + o.getClass().getSimpleName() + ")";
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }

    static void check(Object expected, Object actual) {
        if (!Objects.deepEquals(expected, actual)) {
            throw new Fail("expected " + show(expected) + " got " + show(actual));
        }
    }

    static void checkType(Class<?> expected, Object actual) {
        if (actual != null && !expected.isInstance(actual)) {
            throw new Fail("expected type " + expected.getName() + " got " + actual.getClass().getName());
        }
    }

    /** Echoes every value through f and checks equality; returns a short detail. */
    @SafeVarargs
    static <T> String echoAll(java.util.function.Function<T, T> f, T... values) {
        for (T v : values) {
            T r = f.apply(v);
            check(v, r);
            if (v != null) checkType(v.getClass(), r);
        }
        return values.length + " value(s) ok";
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** "RpcException code=N root=Class: message" (message cut at the first comma-free 160 chars). */
    static String brief(RpcException e) {
        Throwable r = root(e);
        String m = String.valueOf(r.getMessage());
        return "RpcException code=" + e.getCode() + " timeout=" + e.isTimeout() + " root=" + r.getClass().getName()
                + ": " + (m.length() > 160 ? m.substring(0, 160) + "..." : m);
    }

    static Throwable root(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }

    static boolean chainContains(Throwable t, String needle) {
        int depth = 0;
        while (t != null && depth++ < 10) {
            if (String.valueOf(t.getMessage()).contains(needle)) return true;
            if (t.getCause() == t) break;
            t = t.getCause();
        }
        return false;
    }

    // ---------------------------------------------------------------- test data
    static final String EMOJI = "\uD83D\uDE00\uD83C\uDF89 family \uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67 \uD841\uDF0E";

    static String big(int n, String unit) {
        StringBuilder sb = new StringBuilder(n + unit.length());
        while (sb.length() < n) sb.append(unit);
        sb.setLength(n);
        return sb.toString();
    }

    static String mixed100k() {
        // ASCII + CJK + emoji, with a surrogate pair straddling Java's 32768-char chunk boundary
        StringBuilder sb = new StringBuilder(big(100_000, "ab\u4E2D\u6587c"));
        sb.replace(32767, 32769, "\uD83D\uDE00");
        sb.replace(65535, 65537, "\uD83C\uDF89");
        sb.setLength(99_998);
        sb.append("\uD83D\uDC4D");
        return sb.toString();
    }

    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + 7);
        return b;
    }

    static Address addr(String street, String city) {
        return new Address(street, city);
    }

    static User fullUser() {
        User u = new User();
        u.setName("Alice \u4E2D\u6587 \uD83D\uDE00");
        u.setAge(30);
        u.setId(1234567890123L);
        u.setVip(true);
        u.setScore(98.5);
        u.setAddress(addr("1 Main St", "Springfield"));
        u.setTags(new ArrayList<>(Arrays.asList("a", "b", "\u6807\u7B7E")));
        u.setFriends(new ArrayList<>(Arrays.asList(addr("2 Side St", "Shelbyville"), addr("3 Elm St", "Ogdenville"))));
        Map<String, String> attrs = new HashMap<>();
        attrs.put("k1", "v1");
        attrs.put("k2", "");
        u.setAttributes(attrs);
        u.setNickname("Al");
        u.setColor(Color.GREEN);
        return u;
    }

    static User sparseUser() {
        User u = new User();
        u.setName("Bob");
        u.setAge(-1);
        return u; // id, address, tags, friends, attributes, nickname, color all null
    }

    static User smallUser(String name, int age) {
        User u = new User();
        u.setName(name);
        u.setAge(age);
        u.setId((long) age);
        u.setAddress(addr("s" + age, "c" + age));
        return u;
    }

    // ---------------------------------------------------------------- the cases
    void runCases() {
        InteropService s = svc;

        // ---- primitives ----
        c("boolean", () -> echoAll(s::echoBoolean, true, false));
        c("boxed_boolean", () -> echoAll(s::echoBoxedBoolean, Boolean.TRUE, Boolean.FALSE));
        c("boxed_boolean_null", () -> echoAll(s::echoBoxedBoolean, (Boolean) null));
        c("byte", () -> echoAll(s::echoByte, (byte) 0, (byte) 1, (byte) -1, Byte.MIN_VALUE, Byte.MAX_VALUE));
        c("boxed_byte", () -> echoAll(s::echoBoxedByte, (byte) 42, Byte.MIN_VALUE));
        c("boxed_byte_null", () -> echoAll(s::echoBoxedByte, (Byte) null));
        c("short", () -> echoAll(s::echoShort, (short) 0, (short) -1, (short) 2047, (short) -2048, Short.MIN_VALUE, Short.MAX_VALUE));
        c("boxed_short", () -> echoAll(s::echoBoxedShort, (short) 1234, Short.MIN_VALUE));
        c("boxed_short_null", () -> echoAll(s::echoBoxedShort, (Short) null));
        c("int", () -> echoAll(s::echoInt, 0, 1, -1, -16, 47, 48, -17, -2048, 2047, 2048, -262144, 262143, 262144,
                Integer.MIN_VALUE, Integer.MAX_VALUE));
        c("boxed_int", () -> echoAll(s::echoBoxedInt, 7, Integer.MIN_VALUE));
        c("boxed_int_null", () -> echoAll(s::echoBoxedInt, (Integer) null));
        c("long", () -> echoAll(s::echoLong, 0L, -8L, 15L, 16L, -2048L, 2047L, -262144L, 262143L,
                (long) Integer.MIN_VALUE, (long) Integer.MAX_VALUE, 1L << 40, Long.MIN_VALUE, Long.MAX_VALUE));
        c("boxed_long", () -> echoAll(s::echoBoxedLong, 9_000_000_000L, -1L));
        c("boxed_long_null", () -> echoAll(s::echoBoxedLong, (Long) null));
        c("float", () -> echoAll(s::echoFloat, 0f, 1f, -1.5f, 3.14f, 0.001f, 1e-30f, Float.MIN_VALUE, Float.MAX_VALUE,
                Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY));
        c("boxed_float", () -> echoAll(s::echoBoxedFloat, 2.5f, -0.1f));
        c("boxed_float_null", () -> echoAll(s::echoBoxedFloat, (Float) null));
        c("double", () -> echoAll(s::echoDouble, 0.0, 1.0, -1.0, 127.0, -128.0, 32767.0, -32768.0, 0.001, 12.25,
                2147483.647, 3.141592653589793, 1e300, -1e-300, Double.MIN_VALUE, Double.MAX_VALUE, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
        c("double_negative_zero", () -> {
            // Java's Hessian2Output writes -0.0 as 0x5B (0.0): the sign is lost. Accept either sign.
            double r = s.echoDouble(-0.0);
            if (r != 0.0) throw new Fail("expected 0.0 or -0.0 got " + r);
            return "came back as " + (Double.doubleToRawLongBits(r) == 0 ? "+0.0 (sign lost, as Java does)" : "-0.0");
        });
        c("boxed_double", () -> echoAll(s::echoBoxedDouble, 6.02214076e23, -3.5));
        c("boxed_double_null", () -> echoAll(s::echoBoxedDouble, (Double) null));
        c("char", () -> echoAll(s::echoChar, 'A', '\u00E9', '\u4E2D', '\u0000', '\uFFFD'));
        c("boxed_char", () -> echoAll(s::echoBoxedChar, 'z', '\u6587'));
        c("boxed_char_null", () -> echoAll(s::echoBoxedChar, (Character) null));

        // ---- strings / bytes ----
        c("string_empty", () -> echoAll(s::echoString, ""));
        c("string_ascii", () -> echoAll(s::echoString, "hello, world", "x", big(31, "a"), big(32, "b"), big(1023, "c"),
                big(1024, "d")));
        c("string_cjk", () -> echoAll(s::echoString, "\u4E2D\u6587\u5B57\u7B26\u4E32 \u65E5\u672C\u8A9E \uD55C\uAD6D\uC5B4"));
        c("string_emoji", () -> echoAll(s::echoString, EMOJI, "\uD83D\uDE00"));
        c("string_100k", () -> echoAll(s::echoString, big(100_000, "0123456789"), mixed100k()));
        c("string_null", () -> echoAll(s::echoString, (String) null));
        c("bytes_empty", () -> echoAll(s::echoBytes, new byte[0]));
        c("bytes_15", () -> echoAll(s::echoBytes, bytes(15), bytes(16)));
        c("bytes_1mib", () -> echoAll(s::echoBytes, bytes(1 << 20)));
        c("bytes_null", () -> echoAll(s::echoBytes, (byte[]) null));

        // ---- collections / arrays ----
        c("list", () -> echoAll(s::echoList, new ArrayList<>(Arrays.asList("a", "\u4E2D", "", null, EMOJI)),
                new ArrayList<String>()));
        c("list_null", () -> echoAll(s::echoList, (List<String>) null));
        c("set", () -> echoAll(s::echoSet, new HashSet<>(Arrays.asList("x", "y", "z")), new HashSet<String>()));
        c("map", () -> {
            Map<String, Object> m = new HashMap<>();
            m.put("int", 42);
            m.put("long", 1L << 40);
            m.put("double", 2.5);
            m.put("bool", true);
            m.put("string", "\u4E2D\u6587");
            m.put("null", null);
            m.put("list", new ArrayList<>(Arrays.asList("p", "q")));
            Map<String, Object> inner = new HashMap<>();
            inner.put("k", "v");
            inner.put("n", 1);
            m.put("map", inner);
            m.put("user", smallUser("inmap", 5));
            return echoAll(s::echoMap, m, new HashMap<String, Object>());
        });
        c("pojo_map", () -> {
            Map<Long, User> m = new HashMap<>();
            m.put(1L, fullUser());
            m.put(2L, sparseUser());
            m.put(-5_000_000_000L, smallUser("c", 3));
            Map<Long, User> r = s.echoPojoMap(m);
            check(m, r);
            for (Map.Entry<Long, User> e : r.entrySet()) {
                checkType(Long.class, e.getKey());
                checkType(User.class, e.getValue());
            }
            return "3 entries ok";
        });
        c("int_array", () -> echoAll(s::echoIntArray, new int[] {1, -2, 300, Integer.MAX_VALUE, Integer.MIN_VALUE},
                new int[0]));
        c("string_array", () -> echoAll(s::echoStringArray, new String[] {"a", null, "\u4E2D", EMOJI}, new String[0]));
        c("pojo_array", () -> echoAll(s::echoPojoArray, new User[] {fullUser(), null, sparseUser()}, new User[0]));

        // ---- POJO, enum, dates, decimal ----
        c("user_full", () -> echoAll(s::echoUser, fullUser()));
        c("user_sparse", () -> echoAll(s::echoUser, sparseUser()));
        c("user_null", () -> echoAll(s::echoUser, (User) null));
        c("enum", () -> echoAll(s::echoColor, Color.RED, Color.GREEN, Color.BLUE));
        c("enum_null", () -> echoAll(s::echoColor, (Color) null));
        c("date", () -> echoAll(s::echoDate, new Date(1_700_000_000_123L), new Date(1_700_000_040_000L), new Date(0L),
                new Date(-86_400_000L)));
        c("date_null", () -> echoAll(s::echoDate, (Date) null));
        c("decimal", () -> echoAll(s::echoDecimal, new BigDecimal("0"), new BigDecimal("-1.50"),
                new BigDecimal("12345678901234567890.123456789"), new BigDecimal("1E+10")));
        c("decimal_null", () -> echoAll(s::echoDecimal, (BigDecimal) null));
        c("local_date_time", () -> echoAll(s::echoLocalDateTime, LocalDateTime.of(2024, 2, 29, 13, 45, 30, 123_456_789),
                LocalDateTime.of(1970, 1, 1, 0, 0)));
        c("local_date_time_null", () -> echoAll(s::echoLocalDateTime, (LocalDateTime) null));

        // ---- void / no-arg / overloads ----
        c("void_ping", () -> {
            s.ping();
            return "ok";
        });
        c("void_record", () -> {
            // loop: in a mixed fleet record and lastRecorded may land on different providers
            for (int i = 1; i <= 30; i++) {
                String token = "rec-" + UUID.randomUUID();
                s.record(token);
                if (token.equals(s.lastRecorded())) return "stored and read back (attempt " + i + ")";
            }
            throw new Fail("lastRecorded never returned the recorded token");
        });
        c("void_oneway", () -> {
            for (int i = 1; i <= 30; i++) {
                String token = "oneway-" + UUID.randomUUID();
                s.recordOneway(token);
                long until = System.currentTimeMillis() + 300;
                while (System.currentTimeMillis() < until) {
                    if (token.equals(s.lastRecorded())) return "one-way call observed (attempt " + i + ")";
                    sleepQuietly(10);
                }
            }
            throw new Fail("one-way recordOneway never became visible via lastRecorded");
        });
        c("noarg_now", () -> {
            long t = s.now();
            long d = Math.abs(System.currentTimeMillis() - t);
            if (d > 60_000) throw new Fail("now() is " + d + " ms away from local time");
            return "skew " + d + " ms";
        });
        c("overload_greet1", () -> {
            check("Hello, Ann", s.greet("Ann"));
            return "ok";
        });
        c("overload_greet2", () -> {
            check("Hello, Ann Hello, Ann Hello, Ann", s.greet("Ann", 3));
            check("", s.greet("Ann", 0));
            return "ok";
        });
        c("demo_say_hello", () -> {
            check("Hello world", demo.sayHello("world"));
            return "ok";
        });

        // ---- errors / timeout / size limits ----
        c("exception", () -> {
            String msg = "business failure \u4E2D\u6587 #42";
            try {
                String r = s.fail(msg);
                throw new Fail("no exception, got " + show(r));
            } catch (RpcException e) {
                throw new Fail("framework error instead of a business exception: " + describe(e));
            } catch (RuntimeException e) {
                if (e instanceof Fail) throw e;
                if (e.getMessage() == null || !e.getMessage().contains(msg)) {
                    throw new Fail("message not carried: " + describe(e));
                }
                return e.getClass().getName() + ": " + e.getMessage();
            }
        });
        c("timeout", () -> {
            long t0 = System.nanoTime();
            try {
                String r = s.sleep(sleepTimeout * 4);
                throw new Fail("no timeout, got " + show(r));
            } catch (RpcException e) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                if (!e.isTimeout()) throw new Fail("not a timeout: " + describe(e));
                check("slept 0", s.sleep(0));
                return "timed out after " + ms + " ms (code " + e.getCode() + "); next call ok";
            }
        });
        c("large_4mib", () -> {
            byte[] b = bytes(4 << 20);
            byte[] r = s.echoLarge(b);
            check(b, r);
            return "4 MiB echoed";
        });
        c("large_request_over_limit", () -> {
            byte[] b = bytes(9 << 20);
            try {
                byte[] r = s.echoLarge(b);
                throw new Fail("9 MiB request accepted, got " + show(r));
            } catch (RpcException e) {
                String d = brief(e);
                check("slept 0", s.sleep(0));
                return "rejected: " + d + "; next call ok";
            }
        });
        c("large_response_over_limit", () -> {
            try {
                byte[] r = s.makeBytes(9 << 20);
                throw new Fail("9 MiB response accepted, got " + show(r));
            } catch (RpcException e) {
                String d = brief(e);
                check("slept 0", s.sleep(0));
                return "rejected: " + d + "; next call ok";
            }
        });

        // ---- version / group ----
        c("version_default", () -> whoCheck(svc, "-", "-"));
        c("version_group_v1", () -> whoCheck(v1, "1.0.0", "g1"));
        c("version_group_v2", () -> whoCheck(v2, "2.0.0", "g2"));
        c("provider_spread", () -> {
            Map<String, Integer> seen = new TreeMap<>();
            for (int i = 0; i < 40; i++) seen.merge(svc.whoAmI(), 1, Integer::sum);
            Set<String> impls = new HashSet<>();
            for (String k : seen.keySet()) impls.add(k.split(":", 2)[0]);
            switch (expect) {
                case "both":
                    if (!impls.contains("java") || !impls.contains("rust")) throw new Fail("not both: " + seen);
                    break;
                case "java":
                case "rust":
                    if (!impls.equals(Collections.singleton(expect))) throw new Fail("unexpected: " + seen);
                    break;
                default:
                    break;
            }
            return "answers " + seen;
        });

        // ---- echo service / generic ----
        c("echo_service", () -> {
            EchoService e = (EchoService) svc;
            check("ping", e.$echo("ping"));
            check(12345, e.$echo(12345));
            EchoService d = (EchoService) demo;
            check("\u4E2D\u6587", d.$echo("\u4E2D\u6587"));
            return "ok";
        });
        c("generic_echo_user", () -> {
            Map<String, Object> a = new HashMap<>();
            a.put("class", Address.class.getName());
            a.put("street", "gen street");
            a.put("city", "gen city");
            Map<String, Object> u = new HashMap<>();
            u.put("class", User.class.getName());
            u.put("name", "generic");
            u.put("age", 7);
            u.put("id", 99L);
            u.put("address", a);
            u.put("tags", new ArrayList<>(Arrays.asList("t1", "t2")));
            u.put("color", "BLUE");
            Object r = generic.$invoke("echoUser", new String[] {User.class.getName()}, new Object[] {u});
            if (!(r instanceof Map)) throw new Fail("expected a Map, got " + show(r));
            Map<?, ?> m = (Map<?, ?>) r;
            check("generic", m.get("name"));
            check(7, m.get("age"));
            check(99L, ((Number) m.get("id")).longValue());
            check("BLUE", String.valueOf(m.get("color")));
            Object ra = m.get("address");
            if (!(ra instanceof Map)) throw new Fail("address: expected a Map, got " + show(ra));
            check("gen city", ((Map<?, ?>) ra).get("city"));
            check(Arrays.asList("t1", "t2"), m.get("tags"));
            return "map back, class=" + m.get("class");
        });
        c("generic_overload", () -> {
            check("Hello, gen Hello, gen",
                    generic.$invoke("greet", new String[] {"java.lang.String", "int"}, new Object[] {"gen", 2}));
            check("Hello, gen", generic.$invoke("greet", new String[] {"java.lang.String"}, new Object[] {"gen"}));
            return "ok";
        });
        c("generic_say_hello", () -> {
            check("Hello generic", genericDemo.$invoke("sayHello", new String[] {"java.lang.String"},
                    new Object[] {"generic"}));
            return "ok";
        });
    }

    /** Which address set a registry-backed reference ended up using (Dubbo 3 migration). */
    void printDiscovery() {
        for (ReferenceConfig<?> r : refs) {
            Object inv = r.getInvoker();
            String where;
            if (inv instanceof org.apache.dubbo.registry.client.migration.MigrationInvoker) {
                org.apache.dubbo.registry.client.migration.MigrationInvoker<?> m =
                        (org.apache.dubbo.registry.client.migration.MigrationInvoker<?>) inv;
                Object cur = m.getCurrentAvailableInvoker();
                where = "step=" + m.getMigrationStep() + " using="
                        + (cur == null ? "none-yet" : cur == m.getServiceDiscoveryInvoker() ? "application-level"
                                : cur == m.getInvoker() ? "interface-level" : "?");
            } else {
                where = "direct/" + (inv == null ? "null" : inv.getClass().getSimpleName());
            }
            System.out.println("# discovery " + r.getInterface()
                    + (r.getVersion() != null ? ":" + r.getVersion() : "") + (r.getGroup() != null ? "@" + r.getGroup() : "")
                    + (Boolean.TRUE.toString().equals(r.getGeneric()) ? " (generic)" : "") + " " + where);
        }
    }

    String whoCheck(InteropService ref, String version, String group) {
        String w = ref.whoAmI();
        String[] p = w == null ? new String[0] : w.split(":", -1);
        if (p.length != 3) throw new Fail("bad whoAmI answer " + show(w));
        if (!p[1].equals(version) || !p[2].equals(group)) {
            throw new Fail("wrong service answered: " + w + " (wanted version " + version + " group " + group + ")");
        }
        if ((expect.equals("java") || expect.equals("rust")) && !p[0].equals(expect)) {
            throw new Fail("expected a " + expect + " provider, got " + w);
        }
        return w;
    }

    /**
     * Dubbo's NettyClient dials NetUtils.filterLocalHost(host): 127.x and "localhost" become the NIC address,
     * which a server bound to 127.0.0.1 does not answer. Swap such hosts for a name that resolves to loopback.
     */
    static String loopbackUrl(String u) {
        if (u == null) return null;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\w+://)(localhost|127\\.[0-9.]+)(:\\d+.*)$").matcher(u);
        if (!m.matches()) return u;
        String alias = org.apache.dubbo.interop.provider.Provider.loopbackAlias();
        if (alias == null) {
            System.err.println("# warning: no loopback host name; Dubbo will dial the NIC address for " + u);
            return u;
        }
        String r = m.group(1) + alias + m.group(3);
        System.err.println("# note: --url " + u + " rewritten to " + r + " (Dubbo dials 127.x as the NIC address)");
        return r;
    }

    // ---------------------------------------------------------------- options
    static boolean has(String[] a, String f) {
        for (String s : a) if (s.equals(f)) return true;
        return false;
    }

    static String opt(String[] args, String name, String def) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--" + name) && i + 1 < args.length) return args[i + 1];
            if (args[i].startsWith("--" + name + "=")) return args[i].substring(name.length() + 3);
        }
        return System.getProperty("interop." + name, def);
    }
}
