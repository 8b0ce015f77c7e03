// A MAAS client built on Juju's own library (gomaasapi, from Debian's
// golang-github-juju-gomaasapi-dev), doing what Juju's maas provider does when it
// bootstraps and adds a machine: check the credentials, read capabilities, zones, pools,
// spaces and subnets, fabrics, domains, boot resources; allocate with constraints and an
// agent name; set owner data; start (deploy) with user-data; poll until Deployed; read
// interfaces and addresses; release and wait for Ready. It prints one JSON report on
// stdout; the tests check it. Faults it provokes (a wrong key, constraints nothing meets)
// are reported with gomaasapi's own error classification.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/juju/gomaasapi"
)

type report struct {
	Capabilities  []string               `json:"capabilities"`
	Zones         []string               `json:"zones"`
	Pools         []string               `json:"pools"`
	Spaces        map[string][]string    `json:"spaces"`
	Fabrics       map[string][]int       `json:"fabrics"`
	Domains       []string               `json:"domains"`
	StaticRoutes  int                    `json:"static_routes"`
	BootResources []string               `json:"boot_resources"`
	Tags          []string               `json:"tags"`
	BeforeAgent   int                    `json:"machines_with_agent_before"`
	Allocated     map[string]interface{} `json:"allocated"`
	Matches       map[string]interface{} `json:"constraint_matches"`
	Deployed      map[string]interface{} `json:"deployed"`
	Statuses      []string               `json:"statuses_seen"`
	ByOwnerData   int                    `json:"found_by_owner_data"`
	Devices       int                    `json:"devices"`
	Released      string                 `json:"status_after_release"`
	Errors        map[string]string      `json:"errors"`
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func fail(step string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", step, err)
	os.Exit(1)
}

func classify(err error) string {
	switch {
	case err == nil:
		return "none"
	case gomaasapi.IsNoMatchError(err):
		return "NoMatchError"
	case gomaasapi.IsPermissionError(err):
		return "PermissionError"
	case gomaasapi.IsBadRequestError(err):
		return "BadRequestError"
	case gomaasapi.IsCannotCompleteError(err):
		return "CannotCompleteError"
	default:
		return "other: " + err.Error()
	}
}

func poll(controller gomaasapi.Controller, systemID string, want string, timeout time.Duration, seen *[]string) gomaasapi.Machine {
	deadline := time.Now().Add(timeout)
	for {
		machines, err := controller.Machines(gomaasapi.MachinesArgs{SystemIDs: []string{systemID}})
		if err != nil {
			fail("poll", err)
		}
		if len(machines) != 1 {
			fail("poll", fmt.Errorf("%d machines for %s", len(machines), systemID))
		}
		status := machines[0].StatusName()
		if len(*seen) == 0 || (*seen)[len(*seen)-1] != status {
			*seen = append(*seen, status)
		}
		if status == want {
			return machines[0]
		}
		if status == "Failed deployment" || time.Now().After(deadline) {
			fail("poll", fmt.Errorf("machine %s is %s (%s), waiting for %s", systemID, status, machines[0].StatusMessage(), want))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func main() {
	base := env("MAAS_URL", "")
	key := env("MAAS_KEY", "")
	agent := env("MAAS_AGENT", "juju-test-agent")
	timeout, _ := strconv.Atoi(env("MAAS_TIMEOUT_SECONDS", "60"))
	out := report{Spaces: map[string][]string{}, Fabrics: map[string][]int{}, Errors: map[string]string{}}

	// A wrong secret: gomaasapi checks credentials with users/?op=whoami, as Juju does.
	if other := os.Getenv("MAAS_WRONG_KEY"); other != "" {
		_, err := gomaasapi.NewController(gomaasapi.ControllerArgs{BaseURL: base, APIKey: other})
		out.Errors["wrong_key"] = classify(err)
	}

	controller, err := gomaasapi.NewController(gomaasapi.ControllerArgs{BaseURL: base, APIKey: key})
	if err != nil {
		fail("NewController", err)
	}
	out.Capabilities = controller.Capabilities().SortedValues()
	zones, err := controller.Zones()
	if err != nil {
		fail("Zones", err)
	}
	for _, z := range zones {
		out.Zones = append(out.Zones, z.Name())
	}
	pools, err := controller.Pools()
	if err != nil {
		fail("Pools", err)
	}
	for _, p := range pools {
		out.Pools = append(out.Pools, p.Name())
	}
	spaces, err := controller.Spaces()
	if err != nil {
		fail("Spaces", err)
	}
	for _, s := range spaces {
		cidrs := []string{}
		for _, sub := range s.Subnets() {
			cidrs = append(cidrs, sub.CIDR())
		}
		out.Spaces[s.Name()] = cidrs
	}
	fabrics, err := controller.Fabrics()
	if err != nil {
		fail("Fabrics", err)
	}
	for _, f := range fabrics {
		vids := []int{}
		for _, v := range f.VLANs() {
			vids = append(vids, v.VID())
		}
		out.Fabrics[f.Name()] = vids
	}
	domains, err := controller.Domains()
	if err != nil {
		fail("Domains", err)
	}
	for _, d := range domains {
		out.Domains = append(out.Domains, d.Name())
	}
	routes, err := controller.StaticRoutes()
	if err != nil {
		fail("StaticRoutes", err)
	}
	out.StaticRoutes = len(routes)
	resources, err := controller.BootResources()
	if err != nil {
		fail("BootResources", err)
	}
	for _, r := range resources {
		out.BootResources = append(out.BootResources, r.Name()+" "+r.Architecture())
	}
	tags, err := controller.Tags()
	if err != nil {
		fail("Tags", err)
	}
	for _, t := range tags {
		out.Tags = append(out.Tags, t.Name())
	}
	before, err := controller.Machines(gomaasapi.MachinesArgs{AgentName: agent})
	if err != nil {
		fail("Machines", err)
	}
	out.BeforeAgent = len(before)

	// Constraints nothing meets: Juju relies on the 409 being a NoMatchError.
	_, _, err = controller.AllocateMachine(gomaasapi.AllocateMachineArgs{MinCPUCount: 100000, AgentName: agent})
	out.Errors["no_match"] = classify(err)

	space := ""
	for name := range out.Spaces {
		space = name
	}
	args := gomaasapi.AllocateMachineArgs{
		Architecture: env("MAAS_ARCH", "amd64"),
		MinCPUCount:  1,
		MinMemory:    256,
		Zone:         env("MAAS_ZONE", "default"),
		AgentName:    agent,
		Storage:      []gomaasapi.StorageSpec{{Label: "root", Size: 1}},
		Interfaces:   []gomaasapi.InterfaceSpec{{Label: "eth", Space: space}},
	}
	if t := os.Getenv("MAAS_TAG"); t != "" {
		args.Tags = []string{t}
	}
	if t := os.Getenv("MAAS_NOT_TAG"); t != "" {
		args.NotTags = []string{t}
	}
	machine, matches, err := controller.AllocateMachine(args)
	if err != nil {
		fail("AllocateMachine", err)
	}
	out.Allocated = map[string]interface{}{"system_id": machine.SystemID(), "status": machine.StatusName(), "zone": machine.Zone().Name(), "cpus": machine.CPUCount(), "memory": machine.Memory(), "tags": machine.Tags()}
	out.Matches = map[string]interface{}{"storage": len(matches.Storage["root"]), "interfaces": len(matches.Interfaces["eth"])}

	if err := machine.SetOwnerData(map[string]string{"juju-model-uuid": "deadbeef", "juju-is-controller": "true"}); err != nil {
		fail("SetOwnerData", err)
	}
	userData := base64.StdEncoding.EncodeToString([]byte(env("MAAS_USER_DATA", "#cloud-config\nruncmd: [[touch, /tmp/maas-user-data-ran]]\n")))
	if err := machine.Start(gomaasapi.StartArgs{UserData: userData, DistroSeries: env("MAAS_SERIES", "jammy"), Comment: "juju add-machine"}); err != nil {
		fail("Start", err)
	}
	var seen []string
	deployed := poll(controller, machine.SystemID(), "Deployed", time.Duration(timeout)*time.Second, &seen)
	out.Statuses = seen
	links := []map[string]string{}
	for _, iface := range deployed.InterfaceSet() {
		for _, link := range iface.Links() {
			cidr := ""
			if link.Subnet() != nil {
				cidr = link.Subnet().CIDR()
			}
			links = append(links, map[string]string{"interface": iface.Name(), "mac": iface.MACAddress(), "mode": link.Mode(), "subnet": cidr, "ip": link.IPAddress()})
		}
	}
	out.Deployed = map[string]interface{}{"status": deployed.StatusName(), "osystem": deployed.OperatingSystem(), "series": deployed.DistroSeries(), "ip_addresses": deployed.IPAddresses(), "links": links, "owner_data": deployed.OwnerData(), "power_state": deployed.PowerState()}

	owned, err := controller.Machines(gomaasapi.MachinesArgs{AgentName: agent, OwnerData: map[string]string{"juju-model-uuid": "deadbeef"}})
	if err != nil {
		fail("Machines by owner data", err)
	}
	out.ByOwnerData = len(owned)
	devices, err := deployed.Devices(gomaasapi.DevicesArgs{})
	if err != nil {
		fail("Devices", err)
	}
	out.Devices = len(devices)

	if err := controller.ReleaseMachines(gomaasapi.ReleaseMachinesArgs{SystemIDs: []string{machine.SystemID()}, Comment: "juju remove-machine"}); err != nil {
		fail("ReleaseMachines", err)
	}
	var releasing []string
	ready := poll(controller, machine.SystemID(), "Ready", time.Duration(timeout)*time.Second, &releasing)
	out.Released = ready.StatusName()
	// Releasing a machine that is nobody's: MAAS refuses a non-admin (403, a PermissionError).
	err = controller.ReleaseMachines(gomaasapi.ReleaseMachinesArgs{SystemIDs: []string{machine.SystemID()}})
	out.Errors["release_ready"] = classify(err)

	encoded, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(encoded))
}
