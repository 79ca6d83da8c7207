package org.apache.dubbo.demo;

/** Dubbo's own demo interface (same FQCN and method as dubbo-demo). */
public interface DemoService {
    /** Returns "Hello " + name. */
    String sayHello(String name);
}
