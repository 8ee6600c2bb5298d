// Orders at Risk: the worklist, worst first by promise date.
frappe.listview_settings["Order Risk"] = {
	get_indicator(doc) {
		if (doc.status === "Resolved") return [__("Resolved"), "green", "status,=,Resolved"];
		const colour = { High: "red", Medium: "orange", Low: "yellow" }[doc.grade] || "gray";
		return [__(doc.grade || "Open"), colour, `grade,=,${doc.grade}`];
	},
	filters: [["status", "=", "Open"]],
};
