namespace Registry.Api.Management;

public static class RobotEndpoints
{
    public static RouteGroupBuilder MapRobotEndpoints(this RouteGroupBuilder api) => api;
}
