package org.apache.dubbo.interop.api;

import java.io.Serializable;
import java.util.Objects;

public class Address implements Serializable {
    private static final long serialVersionUID = 1L;

    private String street;
    private String city;

    public Address() {}

    public Address(String street, String city) {
        this.street = street;
        this.city = city;
    }

    public String getStreet() { return street; }
    public void setStreet(String street) { this.street = street; }
    public String getCity() { return city; }
    public void setCity(String city) { this.city = city; }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof Address)) return false;
        Address a = (Address) o;
        return Objects.equals(street, a.street) && Objects.equals(city, a.city);
    }

    @Override
    public int hashCode() { return Objects.hash(street, city); }

    @Override
    public String toString() { return "Address{street=" + street + ", city=" + city + "}"; }
}
