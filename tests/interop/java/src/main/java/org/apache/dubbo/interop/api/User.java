package org.apache.dubbo.interop.api;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The POJO of the interop suite: primitives, a nullable boxed id, a nested POJO, a List of POJOs,
 * a Map, an enum and nullable fields. Acyclic on purpose.
 */
public class User implements Serializable {
    private static final long serialVersionUID = 1L;

    private String name;
    private int age;
    private Long id;                       // nullable
    private boolean vip;
    private double score;
    private Address address;               // nullable nested POJO
    private List<String> tags;
    private List<Address> friends;         // List<Pojo>
    private Map<String, String> attributes;
    private String nickname;               // nullable
    private Color color;                   // nullable enum

    public User() {}

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public int getAge() { return age; }
    public void setAge(int age) { this.age = age; }
    public Long getId() { return id; }
    public void setId(Long id) { this.id = id; }
    public boolean isVip() { return vip; }
    public void setVip(boolean vip) { this.vip = vip; }
    public double getScore() { return score; }
    public void setScore(double score) { this.score = score; }
    public Address getAddress() { return address; }
    public void setAddress(Address address) { this.address = address; }
    public List<String> getTags() { return tags; }
    public void setTags(List<String> tags) { this.tags = tags; }
    public List<Address> getFriends() { return friends; }
    public void setFriends(List<Address> friends) { this.friends = friends; }
    public Map<String, String> getAttributes() { return attributes; }
    public void setAttributes(Map<String, String> attributes) { this.attributes = attributes; }
    public String getNickname() { return nickname; }
    public void setNickname(String nickname) { this.nickname = nickname; }
    public Color getColor() { return color; }
    public void setColor(Color color) { this.color = color; }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof User)) return false;
        User u = (User) o;
        return age == u.age && vip == u.vip && Double.compare(score, u.score) == 0
                && Objects.equals(name, u.name) && Objects.equals(id, u.id)
                && Objects.equals(address, u.address) && Objects.equals(tags, u.tags)
                && Objects.equals(friends, u.friends) && Objects.equals(attributes, u.attributes)
                && Objects.equals(nickname, u.nickname) && color == u.color;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, age, id, vip, score, address, tags, friends, attributes, nickname, color);
    }

    @Override
    public String toString() {
        return "User{name=" + name + ", age=" + age + ", id=" + id + ", vip=" + vip + ", score=" + score
                + ", address=" + address + ", tags=" + tags + ", friends=" + friends
                + ", attributes=" + attributes + ", nickname=" + nickname + ", color=" + color + "}";
    }
}
