package org.apache.dubbo.interop.provider;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

import org.apache.dubbo.config.ApplicationConfig;
import org.apache.dubbo.config.ProtocolConfig;
import org.apache.dubbo.config.RegistryConfig;
import org.apache.dubbo.config.ServiceConfig;
import org.apache.dubbo.config.bootstrap.DubboBootstrap;
import org.apache.dubbo.demo.DemoService;
import org.apache.dubbo.interop.api.InteropService;

/**
 * Java Dubbo provider for the interop suite. Exports DemoService, InteropService (no version/group)
 * and InteropService twice more (1.0.0/g1 and 2.0.0/g2). Prints "JAVA-PROVIDER READY port=N" when
 * exported, then runs until killed (SIGTERM = Dubbo's graceful shutdown hook).
 *
 * Options (each also readable as a system property interop.NAME, e.g. -Dinterop.port=20880):
 *   --registry ADDR        zookeeper://127.0.0.1:2181 (default), or N/A for no registry
 *   --port N               0 = pick a free port (default 20880)
 *   --host H|auto|dubbo    host to bind and register (default auto). Dubbo 3.3 refuses 127.x and
 *                          "localhost" (NetUtils.isInvalidLocalHost): for those it binds 0.0.0.0 and
 *                          registers the first non-loopback NIC address. "auto" therefore uses a
 *                          host name that resolves to a loopback address (e.g. the machine's own
 *                          name from /etc/hosts), so the port stays on loopback; "dubbo" keeps
 *                          Dubbo's default (0.0.0.0 + NIC address).
 *   --app NAME             application name (default java-interop-provider)
 *   --register-mode M      all (Dubbo default) | interface | instance; default: not set (= all)
 *   --serialization S      set protocol serialization + prefer-serialization (default: not set)
 *   --no-variants          do not export the 1.0.0/g1 and 2.0.0/g2 variants
 *   --identity NAME        first part of whoAmI() answers (default java), e.g. to tell two Java providers apart
 */
public final class Provider {
    private Provider() {}

    private static String identity = "java";

    public static void main(String[] args) throws Exception {
        String registry = opt(args, "registry", "zookeeper://127.0.0.1:2181");
        int port = Integer.parseInt(opt(args, "port", "20880"));
        String host = resolveHost(opt(args, "host", "auto"));
        String app = opt(args, "app", "java-interop-provider");
        String registerMode = opt(args, "register-mode", null);
        String serialization = opt(args, "serialization", null);
        boolean variants = !flag(args, "no-variants");
        identity = opt(args, "identity", "java");

        if (port == 0) {
            port = freePort(host);
        }

        ApplicationConfig application = new ApplicationConfig(app);
        application.setQosEnable(false);
        if (registerMode != null && !registerMode.isEmpty()) {
            application.setRegisterMode(registerMode);
        }

        ProtocolConfig protocol = new ProtocolConfig("dubbo", port);
        if (host != null) protocol.setHost(host);
        if (serialization != null && !serialization.isEmpty()) {
            protocol.setSerialization(serialization);
            protocol.setPreferSerialization(serialization);
        }

        List<ServiceConfig<?>> services = new ArrayList<>();
        ServiceConfig<DemoService> demo = new ServiceConfig<>();
        demo.setInterface(DemoService.class);
        demo.setRef(new DemoServiceImpl());
        services.add(demo);

        services.add(interop(null, null));
        if (variants) {
            services.add(interop("1.0.0", "g1"));
            services.add(interop("2.0.0", "g2"));
        }

        DubboBootstrap bootstrap = DubboBootstrap.getInstance()
                .application(application)
                .registry(new RegistryConfig(registry))
                .protocol(protocol);
        for (ServiceConfig<?> s : services) {
            bootstrap.service(s);
        }
        bootstrap.start();
        System.out.println("JAVA-PROVIDER READY port=" + port + " host=" + host + " registry=" + registry
                + " register-mode=" + (registerMode == null ? "default" : registerMode)
                + " services=" + services.size());
        System.out.flush();
        bootstrap.await();
    }

    private static ServiceConfig<InteropService> interop(String version, String group) {
        ServiceConfig<InteropService> s = new ServiceConfig<>();
        s.setInterface(InteropService.class);
        s.setRef(new InteropServiceImpl(identity, version, group));
        if (version != null) s.setVersion(version);
        if (group != null) s.setGroup(group);
        return s;
    }

    /** null = let Dubbo choose (binds 0.0.0.0, registers the NIC address). */
    static String resolveHost(String h) {
        if (h.equals("dubbo") || h.isEmpty()) return null;
        if (!h.equals("auto")) return h;
        String alias = loopbackAlias();
        if (alias == null) {
            System.err.println("java-provider: no host name resolves to loopback; using Dubbo's default host "
                    + "(binds 0.0.0.0). Pass --host NAME to choose.");
        }
        return alias;
    }

    /**
     * A host name that resolves to a loopback address but that Dubbo does not treat as "local"
     * (NetUtils.isInvalidLocalHost rejects "localhost" and "127.*", and NetUtils.filterLocalHost makes
     * clients dial the NIC address instead). Usually the machine's own name from /etc/hosts. Null if none.
     */
    public static String loopbackAlias() {
        try {
            String name = InetAddress.getLocalHost().getHostName();
            if (!name.equalsIgnoreCase("localhost") && !name.startsWith("127.")
                    && InetAddress.getByName(name).isLoopbackAddress()) {
                return name;
            }
        } catch (IOException ignored) {
            // none
        }
        return null;
    }

    static int freePort(String host) throws IOException {
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getByName(host == null ? "0.0.0.0" : host))) {
            return ss.getLocalPort();
        }
    }

    static String opt(String[] args, String name, String def) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--" + name) && i + 1 < args.length) return args[i + 1];
            if (args[i].startsWith("--" + name + "=")) return args[i].substring(name.length() + 3);
        }
        return System.getProperty("interop." + name, def);
    }

    static boolean flag(String[] args, String name) {
        for (String a : args) {
            if (a.equals("--" + name)) return true;
        }
        return Boolean.getBoolean("interop." + name);
    }
}
