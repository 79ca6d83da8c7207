package org.apache.dubbo.interop.api;

public enum Color {
    RED,
    GREEN,
    BLUE
}
